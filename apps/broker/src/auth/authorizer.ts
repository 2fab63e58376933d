import { Logger } from 'pino';
import { Counter, Registry } from 'prom-client';
import { Action, decide, ResourceRef, resourceKey } from './acl';
import { AclRegistry } from './acl-registry';
import { User } from './user-registry';

/** What a request needs: for each resource it touches, one of these actions. */
export interface Permission {
  resource: ResourceRef;
  actions: Action[];
}

/**
 * Authorization of authenticated requests (broker.conf `authorizationEnabled`), as Apache's ACL
 * 2.0 does it: a Super user may do anything; a Normal user needs, for every resource a request
 * touches, a matching Allow entry in its ACL (the most specific matching entry decides). A
 * refusal carries Apache's message (`User:app has no permission to access Topic:orders from
 * 127.0.0.1, no matched policies.`), is logged and counted
 * (`rocketmq_broker_authorization_refusals_total{protocol}`).
 */
export class Authorizer {
  private readonly refusals: Counter<'protocol'>;

  constructor(
    private readonly acls: AclRegistry,
    readonly enabled: boolean,
    private readonly logger: Logger,
    registry: Registry,
  ) {
    this.refusals = new Counter({
      name: 'rocketmq_broker_authorization_refusals_total',
      help: 'Authenticated requests refused by the ACL, by protocol',
      labelNames: ['protocol'],
      registers: [registry],
    });
  }

  /** undefined when allowed, else the refusal's message. */
  check(user: User | undefined, permissions: readonly Permission[], sourceIp: string, what: object): string | undefined {
    if (!this.enabled || user?.userType === 'Super') return undefined;
    const subject = `User:${user?.username ?? ''}`;
    const acl = this.acls.get(subject);
    for (const permission of permissions) {
      const decision = acl ? decide(acl, permission.resource, permission.actions, sourceIp) : undefined;
      if (decision === 'Allow') continue;
      const reason = `${subject} has no permission to access ${resourceKey(permission.resource)} from ${sourceIp}, ${decision === 'Deny' ? 'the decision is deny.' : 'no matched policies.'}`;
      this.refusals.inc({ protocol: 'grpc' });
      this.logger.warn({ ...what, subject, resource: resourceKey(permission.resource), actions: permission.actions }, 'request refused by authorization');
      return reason;
    }
    return undefined;
  }
}
