import { DLQ_TOPIC_PREFIX } from '../topics/topic-config';
import { isReservedSystemTopic, RETRY_TOPIC_PREFIX } from '../topics/topic-validator';
import { Resource } from './messaging.types';

/** What separates a namespace from a name in a stored resource name (Apache's NamespaceUtil.NAMESPACE_SEPARATOR). */
const NAMESPACE_SEPARATOR = '%';

/**
 * A stored topic name as a v2 Resource, the way Apache's proxy builds one for the messages it hands
 * out (GrpcConverter.buildResource: NamespaceUtil.getNamespaceFromResource and withoutNamespace):
 * `tenant-a%orders` is `{ resourceNamespace: 'tenant-a', name: 'orders' }`, `%RETRY%tenant-a%g` is
 * `{ 'tenant-a', '%RETRY%g' }`, and a name without a namespace part, or a system topic, is itself
 * with an empty namespace.
 *
 * The other direction is not done, as Apache's proxy does not do it: a request's
 * `resource_namespace` (and the `x-mq-namespace` header the clients send with it) is accepted and
 * the resource's `name` alone names the topic or group (SendMessageActivity, RecallMessageActivity
 * and the others read `getName()`; ContextInitPipeline keeps the header in a context nothing
 * reads). Namespaces isolate nothing on either, so an application moves between them unchanged.
 */
export function resourceOf(storedName: string): Resource {
  if (storedName === '' || isReservedSystemTopic(storedName)) return { name: storedName, resourceNamespace: '' };
  const prefix = storedName.startsWith(RETRY_TOPIC_PREFIX) ? RETRY_TOPIC_PREFIX : storedName.startsWith(DLQ_TOPIC_PREFIX) ? DLQ_TOPIC_PREFIX : '';
  const rest = storedName.slice(prefix.length);
  const separator = rest.indexOf(NAMESPACE_SEPARATOR);
  if (separator <= 0) return { name: storedName, resourceNamespace: '' };
  return { name: prefix + rest.slice(separator + 1), resourceNamespace: rest.slice(0, separator) };
}
