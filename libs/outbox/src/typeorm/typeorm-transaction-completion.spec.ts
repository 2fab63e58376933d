import { QueryRunner, TransactionCommitEvent, TransactionStartEvent } from 'typeorm';
import { TypeOrmTransactionCompletion } from './typeorm-transaction-completion';

describe('TypeOrmTransactionCompletion', () => {
  it('runs every callback at the outermost commit even when one fails, then rethrows the first failure', async () => {
    const completion = new TypeOrmTransactionCompletion();
    const queryRunner = {} as QueryRunner;
    completion.afterTransactionStart({ queryRunner } as TransactionStartEvent);
    const calls: string[] = [];
    const failure = new Error('the first callback failed');
    completion.register(queryRunner, () => Promise.reject(failure));
    completion.register(queryRunner, (committed) => Promise.resolve(void calls.push(`second ${committed}`)));
    await expect(completion.afterTransactionCommit({ queryRunner } as TransactionCommitEvent)).rejects.toBe(failure);
    // Another message's EndTransaction still went.
    expect(calls).toEqual(['second true']);
  });
});
