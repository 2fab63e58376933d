import { isIP } from 'node:net';
import { PERM_READ, PERM_WRITE, TopicConfig } from '../topics/topic-config';
import { BrokerConfig } from '../config/broker-config';
import { AddressSchemeName, Broker, Endpoints, MessageQueue, MessageTypeName, PermissionName } from './messaging.types';
import { AdvertisedAddress } from './messaging-parts';

/** RocketMQ's `MixAll.MASTER_ID`: this broker is the master of its (one-broker) group. */
export const MASTER_BROKER_ID = 0;

/** Hosts that mean "every interface": not an address a client can connect to. */
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]', '']);

/**
 * This broker as a route entry. The broker is its own name server: routes point at its gRPC
 * endpoint. When it binds every interface, the host the client used to reach it (the request's
 * endpoints, as the proxy's RouteActivity uses them) is advertised instead.
 */
export function brokerEntry(config: BrokerConfig, address: AdvertisedAddress, requested: Endpoints | undefined): Broker {
  let host = address.host;
  if (WILDCARD_HOSTS.has(host)) host = requested?.addresses?.find((a) => a.host)?.host ?? '127.0.0.1';
  return {
    name: config.brokerName,
    id: MASTER_BROKER_ID,
    endpoints: { scheme: addressScheme(host), addresses: [{ host, port: address.port }] },
  };
}

export function addressScheme(host: string): AddressSchemeName {
  const family = isIP(host);
  if (family === 4) return 'IPv4';
  if (family === 6) return 'IPv6';
  return 'DOMAIN_NAME';
}

/** RouteActivity.convertToPermission. */
export function permissionOf(perm: number): PermissionName {
  const readable = (perm & PERM_READ) !== 0;
  const writable = (perm & PERM_WRITE) !== 0;
  if (readable && writable) return 'READ_WRITE';
  if (readable) return 'READ';
  if (writable) return 'WRITE';
  return 'NONE';
}

export function acceptMessageTypes(topic: TopicConfig): MessageTypeName[] {
  return [topic.messageType];
}

/**
 * The topic's message queues, one per queue id. Queue i is readable when i < readQueueNums and
 * the topic's perm has read, writable when i < writeQueueNums and perm has write (RocketMQ's
 * meaning of read/write queue counts); a topic with neither permission lists NONE queues. The
 * proxy's RouteActivity numbers READ-only queues first instead, which does not matter there
 * because the proxy picks the queue itself; this broker stores a message in the queue the client
 * chose, so the ids must be the real ones.
 */
export function messageQueuesOf(topic: TopicConfig, broker: Broker): MessageQueue[] {
  const readable = (topic.perm & PERM_READ) !== 0;
  const writable = (topic.perm & PERM_WRITE) !== 0;
  const count = Math.max(1, topic.readQueueNums, topic.writeQueueNums);
  const queues: MessageQueue[] = [];
  for (let id = 0; id < count; id++) {
    const read = readable && id < topic.readQueueNums;
    const write = writable && id < topic.writeQueueNums;
    const permission: PermissionName = read && write ? 'READ_WRITE' : read ? 'READ' : write ? 'WRITE' : 'NONE';
    queues.push({ topic: { name: topic.name, resourceNamespace: '' }, id, permission, broker, acceptMessageTypes: acceptMessageTypes(topic) });
  }
  return queues;
}

/** Whether the topic can be consumed (perm has read, at least one read queue). */
export function isReadable(topic: TopicConfig): boolean {
  return (topic.perm & PERM_READ) !== 0 && topic.readQueueNums > 0;
}
