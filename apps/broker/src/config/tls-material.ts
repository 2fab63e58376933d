import { readFileSync } from 'node:fs';
import { BrokerConfig, TlsClientAuth } from './broker-config';
import { BrokerConfigError } from './broker-config.errors';

/** What the gRPC and admin HTTP servers need to serve TLS. */
export interface TlsMaterial {
  /** PEM certificate chain. */
  cert: Buffer;
  /** PEM private key. */
  key: Buffer;
  /** gRPC also takes plaintext connections on its port (`tlsMode` permissive). */
  permissive: boolean;
  /** Whether gRPC clients must present a certificate (`tlsNeedClientAuth`). */
  clientAuth: TlsClientAuth;
  /** PEM CA certificates client certificates must chain to (`tlsTrustCertPath`, read when `tlsAuthClient`). */
  trustedCa?: Buffer;
}

/**
 * Reads the certificate and key (and the clients' CA) when `tlsMode` is not `disabled` (undefined then),
 * once, before anything listens: a missing or unreadable file, or one that is not PEM, stops the
 * broker with the key that names it rather than failing on the first connection.
 */
export function readTlsMaterial(
  config: Pick<BrokerConfig, 'tlsMode' | 'tlsCertPath' | 'tlsKeyPath' | 'tlsNeedClientAuth' | 'tlsAuthClient' | 'tlsTrustCertPath'>,
): TlsMaterial | undefined {
  if (config.tlsMode === 'disabled') return undefined;
  return {
    cert: readPem('tlsCertPath', config.tlsCertPath, 'CERTIFICATE'),
    key: readPem('tlsKeyPath', config.tlsKeyPath, 'PRIVATE KEY'),
    permissive: config.tlsMode === 'permissive',
    clientAuth: config.tlsNeedClientAuth,
    ...(config.tlsAuthClient ? { trustedCa: readPem('tlsTrustCertPath', config.tlsTrustCertPath, 'CERTIFICATE') } : {}),
  };
}

function readPem(key: 'tlsCertPath' | 'tlsKeyPath' | 'tlsTrustCertPath', path: string, label: string): Buffer {
  let content: Buffer;
  try {
    content = readFileSync(path);
  } catch (error) {
    throw BrokerConfigError.invalidValue({ source: 'configuration' }, key, path, `a readable PEM file (${(error as Error).message})`);
  }
  // "PRIVATE KEY" also matches "RSA PRIVATE KEY" and "EC PRIVATE KEY".
  if (!content.toString('latin1').includes(`${label}-----`)) {
    throw BrokerConfigError.invalidValue({ source: 'configuration' }, key, path, `a PEM file holding a ${label}`);
  }
  return content;
}
