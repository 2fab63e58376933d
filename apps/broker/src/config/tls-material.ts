import { readFileSync } from 'node:fs';
import { BrokerConfig } from './broker-config';
import { BrokerConfigError } from './broker-config.errors';

/** What the gRPC and admin HTTP servers need to serve TLS. */
export interface TlsMaterial {
  /** PEM certificate chain. */
  cert: Buffer;
  /** PEM private key. */
  key: Buffer;
}

/**
 * Reads the certificate and key when `tlsMode` is `enforcing` (undefined when TLS is disabled),
 * once, before anything listens: a missing or unreadable file, or one that is not PEM, stops the
 * broker with the key that names it rather than failing on the first connection.
 */
export function readTlsMaterial(config: Pick<BrokerConfig, 'tlsMode' | 'tlsCertPath' | 'tlsKeyPath'>): TlsMaterial | undefined {
  if (config.tlsMode !== 'enforcing') return undefined;
  return { cert: readPem('tlsCertPath', config.tlsCertPath, 'CERTIFICATE'), key: readPem('tlsKeyPath', config.tlsKeyPath, 'PRIVATE KEY') };
}

function readPem(key: 'tlsCertPath' | 'tlsKeyPath', path: string, label: string): Buffer {
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
