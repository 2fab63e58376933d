import {
  BadRequestException,
  Body,
  ConflictException,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  NotFoundException,
  Param,
  Post,
  Put,
  UseFilters,
} from '@nestjs/common';
import { USERS } from '../broker.tokens';
import { User, UserRegistry, UserRegistryError } from '../auth/user-registry';
import { bodyObject, required, requireString } from './admin-request';
import { StoreWriteErrorFilter } from './store-write-error.filter';
import type { UserDeleteResponse, UserListResponse, UserResponse, UserView } from '@app/admin-client';

const CREATE_FIELDS = new Set(['username', 'password', 'userType', 'userStatus']);
const UPDATE_FIELDS = new Set(['password', 'userType', 'userStatus']);

/**
 * Users of authentication (Apache's ACL 2.0 users; mqadmin createUser, updateUser, deleteUser,
 * getUser, listUser). Answers never carry a secret. With authentication on, only Super users
 * reach these routes (AdminAuthGuard).
 */
@Controller('users')
@UseFilters(StoreWriteErrorFilter)
export class UsersController {
  constructor(@Inject(USERS) private readonly users: UserRegistry | undefined) {}

  @Get()
  list(): UserListResponse {
    return { users: this.registry().list().map(view) };
  }

  @Get(':username')
  get(@Param('username') username: string): UserResponse {
    const user = this.registry().get(username);
    if (!user) throw new NotFoundException(`User:${username} is not found.`);
    return { user: view(user) };
  }

  /** `{ username, password, userType?: Super|Normal (Normal), userStatus?: enable|disable (enable) }`; 409 when the user exists. */
  @Post()
  @HttpCode(201)
  async create(@Body() rawBody: unknown): Promise<UserResponse> {
    const body = fieldsOf(rawBody, CREATE_FIELDS);
    const input = { username: requireString(body, 'username'), password: requireString(body, 'password'), ...optionalEnums(body) };
    return { user: view(await this.call(() => this.registry().create(input))) };
  }

  /** Any of `{ password, userType, userStatus }`; the others keep their value. */
  @Put(':username')
  @HttpCode(200)
  async update(@Param('username') username: string, @Body() rawBody: unknown): Promise<UserResponse> {
    const body = fieldsOf(rawBody, UPDATE_FIELDS);
    const password = body.password === undefined ? undefined : requireString(body, 'password');
    return { user: view(await this.call(() => this.registry().update(username, { password, ...optionalEnums(body) }))) };
  }

  @Delete(':username')
  async delete(@Param('username') username: string): Promise<UserDeleteResponse> {
    if (!(await this.registry().delete(username))) throw new NotFoundException(`User:${username} is not found.`);
    return { deleted: true, username };
  }

  private registry(): UserRegistry {
    return required(this.users, 'user registry');
  }

  /** Registry errors as 400 (bad definition), 404 (unknown user) or 409 (exists). */
  private async call<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (!(error instanceof UserRegistryError)) throw error;
      if (error.code === 'BROKER_ERR_USER_NOT_FOUND') throw new NotFoundException(error.message);
      if (error.code === 'BROKER_ERR_USER_EXISTS') throw new ConflictException(error.message);
      throw new BadRequestException(error.message);
    }
  }
}

function view(user: User): UserView {
  return { username: user.username, userType: user.userType, userStatus: user.userStatus };
}

function fieldsOf(rawBody: unknown, allowed: ReadonlySet<string>): Record<string, unknown> {
  const body = bodyObject(rawBody);
  const unknown = Object.keys(body).filter((field) => !allowed.has(field));
  if (unknown.length > 0) throw new BadRequestException(`unknown field(s) ${unknown.join(', ')}; accepted: ${[...allowed].join(', ')}`);
  return body;
}

function optionalEnums(body: Record<string, unknown>): Partial<Pick<User, 'userType' | 'userStatus'>> {
  return {
    ...(body.userType === undefined ? {} : { userType: body.userType as User['userType'] }),
    ...(body.userStatus === undefined ? {} : { userStatus: body.userStatus as User['userStatus'] }),
  };
}
