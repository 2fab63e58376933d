import { Controller, Get, Param } from '@nestjs/common';
import { Account } from './account.entity';
import { AccountsService } from './accounts.service';

/** `GET /accounts`, `GET /accounts/:buyerId`: balances in cents. */
@Controller('accounts')
export class AccountsController {
  constructor(private readonly accounts: AccountsService) {}

  @Get()
  list(): Promise<Account[]> {
    return this.accounts.list();
  }

  @Get(':buyerId')
  get(@Param('buyerId') buyerId: string): Promise<Account> {
    return this.accounts.get(buyerId);
  }
}
