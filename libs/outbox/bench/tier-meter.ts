/**
 * Per-tier figures of bench:outbox (issue 13, section 1): CPU of the application process, the
 * broker child and PostgreSQL (its postmaster and every backend, from /proc), the application
 * process's system calls and bytes (from /proc/<pid>/io: its only I/O is its sockets to PostgreSQL
 * and the broker, so these are its writes and bytes on the wire), and counts of gRPC calls by
 * method and SQL statements, counted where the process makes them.
 *
 * The counters wrap the official client's and pg's client prototypes in this process: a measuring
 * instrument of the benchmark, never loaded by the libraries.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { MessagingServiceClient, MessagingServiceService } from 'rocketmq-client-nodejs/proto/apache/rocketmq/v2/service_grpc_pb';
import { Client as PgClient } from 'pg';
import { processCpuSeconds } from '@app/testkit';

/** What /proc/<pid>/io counts for a process. */
interface ProcessIo {
  readSyscalls: number;
  writeSyscalls: number;
  bytesRead: number;
  bytesWritten: number;
}

/** One reading of every tier, at one moment. */
interface TierSnapshot {
  appCpuS: number;
  brokerCpuS: number;
  postgresCpuS: number;
  appIo: ProcessIo;
  rpcs: Map<string, number>;
  sqlStatements: number;
}

/** The difference between two snapshots, per business transaction. */
export interface TierFigures {
  /** CPU ms per transaction: application process, broker, PostgreSQL. */
  appCpuMs: number;
  brokerCpuMs: number;
  postgresCpuMs: number;
  /** gRPC calls per transaction by method (`SendMessage`, `EndTransaction`, ...). */
  rpcs: Record<string, number>;
  sqlStatements: number;
  /** The application process's write and read system calls, and its bytes out and in. */
  writeSyscalls: number;
  readSyscalls: number;
  bytesOut: number;
  bytesIn: number;
}

const rpcCounts = new Map<string, number>();
let sqlCount = 0;
let installed = false;

/** Wraps the official RocketMQ client's RPC methods and pg's query in this process with counters (once). */
export function installCallCounters(): void {
  if (installed) return;
  installed = true;
  // grpc-js's generated clients hold the request functions they were built with, so the count
  // wraps the official client's generated methods (one per RPC) rather than grpc-js's Client.
  const proto = MessagingServiceClient.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const [rpc, definition] of Object.entries(MessagingServiceService)) {
    const name = (definition as { originalName?: string }).originalName ?? rpc;
    const original = proto[name];
    if (typeof original !== 'function') continue;
    const rpcName = rpc.charAt(0).toUpperCase() + rpc.slice(1);
    proto[name] = function (this: unknown, ...args: unknown[]) {
      rpcCounts.set(rpcName, (rpcCounts.get(rpcName) ?? 0) + 1);
      return original.apply(this, args);
    };
  }
  const pgProto = PgClient.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const query = pgProto.query;
  pgProto.query = function (this: unknown, ...args: unknown[]) {
    sqlCount++;
    return query.apply(this, args);
  };
}

/** Reads the tiers at start and at stop; `stop(transactions)` divides by the transactions done. */
export class TierMeter {
  private readonly start: TierSnapshot;

  constructor(
    private readonly brokerPid: number,
    private readonly postmasterPid: number | undefined,
  ) {
    this.start = this.snapshot();
  }

  stop(transactions: number): TierFigures {
    const end = this.snapshot();
    const per = (value: number): number => value / Math.max(1, transactions);
    const rpcs: Record<string, number> = {};
    for (const [rpc, count] of end.rpcs) {
      const delta = count - (this.start.rpcs.get(rpc) ?? 0);
      if (delta > 0) rpcs[rpc] = per(delta);
    }
    return {
      appCpuMs: per((end.appCpuS - this.start.appCpuS) * 1000),
      brokerCpuMs: per((end.brokerCpuS - this.start.brokerCpuS) * 1000),
      postgresCpuMs: per((end.postgresCpuS - this.start.postgresCpuS) * 1000),
      rpcs,
      sqlStatements: per(end.sqlStatements - this.start.sqlStatements),
      writeSyscalls: per(end.appIo.writeSyscalls - this.start.appIo.writeSyscalls),
      readSyscalls: per(end.appIo.readSyscalls - this.start.appIo.readSyscalls),
      bytesOut: per(end.appIo.bytesWritten - this.start.appIo.bytesWritten),
      bytesIn: per(end.appIo.bytesRead - this.start.appIo.bytesRead),
    };
  }

  private snapshot(): TierSnapshot {
    const usage = process.cpuUsage();
    return {
      appCpuS: (usage.user + usage.system) / 1e6,
      brokerCpuS: processCpuSeconds(this.brokerPid),
      postgresCpuS: this.postmasterPid === undefined ? Number.NaN : postgresCpuSeconds(this.postmasterPid),
      appIo: processIo(process.pid),
      rpcs: new Map(rpcCounts),
      sqlStatements: sqlCount,
    };
  }
}

/** CPU seconds of the postmaster and every process it started (backends, checkpointer, WAL writer). */
export function postgresCpuSeconds(postmasterPid: number): number {
  let total = processCpuSeconds(postmasterPid);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command (which may hold spaces) start at the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === postmasterPid) total += processCpuSeconds(Number(entry));
    } catch {
      // The process ended between the listing and the read: its CPU is lost to both readings alike.
    }
  }
  return total;
}

function processIo(pid: number): ProcessIo {
  const fields = new Map<string, number>();
  for (const line of readFileSync(`/proc/${pid}/io`, 'utf8').split('\n')) {
    const [name, value] = line.split(':');
    if (value !== undefined) fields.set(name.trim(), Number(value));
  }
  return {
    readSyscalls: fields.get('syscr') ?? 0,
    writeSyscalls: fields.get('syscw') ?? 0,
    bytesRead: fields.get('rchar') ?? 0,
    bytesWritten: fields.get('wchar') ?? 0,
  };
}

/** The postmaster's pid from `postmaster.pid` in the data directory, when the server runs on this machine. */
export function postmasterPidOf(dataDirectory: string): number | undefined {
  try {
    return Number(readFileSync(`${dataDirectory}/postmaster.pid`, 'utf8').split('\n')[0]);
  } catch {
    return undefined;
  }
}
