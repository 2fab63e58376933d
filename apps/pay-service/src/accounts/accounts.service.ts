import { Inject, Injectable, Logger, NotFoundException, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PAY_SERVICE_CONFIG, type PayServiceConfig } from '../pay-service.config';
import { Account } from './account.entity';

/** Balances: seeded from BUYER_SEED at startup (absent accounts only), read by the API. */
@Injectable()
export class AccountsService implements OnApplicationBootstrap {
  private readonly logger = new Logger(AccountsService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(PAY_SERVICE_CONFIG) private readonly config: PayServiceConfig,
  ) {}

  /** Creates the seeded accounts that do not exist yet; existing balances are left alone (a restart keeps them). */
  async onApplicationBootstrap(): Promise<void> {
    for (const [buyerId, balance] of this.config.buyerSeed) {
      const created = await this.dataSource
        .createQueryBuilder()
        .insert()
        .into(Account)
        .values({ buyerId, balance, updatedAt: () => 'now()' })
        .orIgnore()
        .returning('buyer_id')
        .execute();
      if ((created.raw as unknown[]).length > 0) this.logger.log(`account ${buyerId} created with ${balance} cents`);
    }
  }

  list(): Promise<Account[]> {
    return this.dataSource.getRepository(Account).find({ order: { buyerId: 'ASC' } });
  }

  async get(buyerId: string): Promise<Account> {
    const account = await this.dataSource.getRepository(Account).findOneBy({ buyerId });
    if (!account) throw new NotFoundException({ statusCode: 404, reason: `no account for buyer ${buyerId}` });
    return account;
  }
}
