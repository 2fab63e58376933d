import { BadRequestException, Body, Controller, Delete, Get, HttpCode, Inject, NotFoundException, Param, Put, Query } from '@nestjs/common';
import { ACLS, USERS } from '../broker.tokens';
import type { PolicyEntry } from '../auth/acl';
import { AclRegistry } from '../auth/acl-registry';
import { UserRegistry, UserRegistryError } from '../auth/user-registry';
import { bodyObject, required } from './admin-request';
import type { AclDeleteResponse, AclListResponse, AclResponse } from '@app/admin-client';

/**
 * ACLs (Apache's ACL 2.0 custom policies; mqadmin createAcl, updateAcl, deleteAcl, getAcl,
 * listAcl), by subject `User:<name>` of an existing user. With authentication on, only Super
 * users reach these routes (AdminAuthGuard).
 */
@Controller('acls')
export class AclsController {
  constructor(
    @Inject(ACLS) private readonly acls: AclRegistry | undefined,
    @Inject(USERS) private readonly users: UserRegistry | undefined,
  ) {}

  @Get()
  list(@Query('subject') subject?: string, @Query('resource') resource?: string): AclListResponse {
    return { acls: this.registry().list({ subject, resource }) };
  }

  @Get(':subject')
  get(@Param('subject') subject: string): AclResponse {
    const acl = this.registry().get(subject);
    if (!acl) throw new NotFoundException(`The acl of ${subject} is not found.`);
    return { acl };
  }

  /** `{ entries: [{ resource, actions, decision, sourceIps? }] }`: adds them, replacing the subject's entries for the same resources. */
  @Put(':subject')
  @HttpCode(200)
  async set(@Param('subject') subject: string, @Body() rawBody: unknown): Promise<AclResponse> {
    const entries = bodyObject(rawBody).entries;
    if (!Array.isArray(entries)) throw new BadRequestException('entries must be an array of { resource, actions, decision, sourceIps? }');
    const username = /^User:(.+)$/.exec(subject)?.[1];
    if (!username || !required(this.users, 'user registry').get(username)) throw new NotFoundException(`The subject of ${subject} is not exist.`);
    try {
      return { acl: await this.registry().setEntries(subject, entries as PolicyEntry[]) };
    } catch (error) {
      if (error instanceof UserRegistryError) throw new BadRequestException(error.message);
      throw error;
    }
  }

  /** Deletes the subject's whole ACL, or with `?resource=a,b` only those resources' entries. */
  @Delete(':subject')
  async delete(@Param('subject') subject: string, @Query('resource') resource?: string): Promise<AclDeleteResponse> {
    const resources = resource ? resource.split(',').map((item) => item.trim()) : undefined;
    if (!(await this.registry().delete(subject, resources))) throw new NotFoundException(`The acl of ${subject} is not found.`);
    return { deleted: true, subject };
  }

  private registry(): AclRegistry {
    return required(this.acls, 'ACL registry');
  }
}
