/**
 * Per-tier figures of bench:outbox (issue 13, section 1): CPU of the application process, the
 * broker child and PostgreSQL (its postmaster and every backend, from /proc), the application
 * process's system calls and bytes (from /proc/<pid>/io: its only I/O is its sockets to PostgreSQL
 * and the broker, so these are its writes and bytes on the wire), and counts of gRPC calls by
 * method and SQL statements, counted where the process makes them.
 *
 * The counters wrap node:http2's client session and pg's client prototypes in this process: a
 * measuring instrument of the benchmark, never loaded by the libraries. Every gRPC call of this
 * process is one HTTP/2 request whichever stack makes it (grpc-js under the official client, or
 * libs/mq's node:http2 transactional wire), so requests are counted by their `:path`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as http2 from 'node:http2';
import { Client as PgClient } from 'pg';
import { processCpuSeconds } from '@app/testkit';

/** USER_HZ: the unit of /proc/<pid>/stat's CPU times on Linux. */
const CLOCK_TICKS = 100;

/** What /proc/<pid>/io counts for a process. */
interface ProcessIo {
  readSyscalls: number;
  writeSyscalls: number;
  bytesRead: number;
  bytesWritten: number;
}

/** The consumer side when it runs as a process of its own (`--consumer-process`): its pid and the latest counts it reported. */
export interface ConsumerSide {
  readonly pid: number;
  counts(): CallCounts;
}

/** gRPC calls by method and SQL statements a process made so far. */
export interface CallCounts {
  rpcs: Record<string, number>;
  sqlStatements: number;
}

/** One reading of every tier, at one moment. */
interface TierSnapshot {
  appCpuS: number;
  /** The consumer process's CPU (NaN when the consumers run in the application process). */
  consumerCpuS: number;
  brokerCpuS: number;
  postgresCpuS: number;
  appIo: ProcessIo;
  rpcs: Map<string, number>;
  sqlStatements: number;
}

/** The difference between two snapshots, per business transaction. */
export interface TierFigures {
  /** CPU ms per transaction: application side (callers and consumers), broker, PostgreSQL. */
  appCpuMs: number;
  /** Of appCpuMs, the consumer process's share with `--consumer-process`; NaN otherwise. */
  consumerCpuMs: number;
  brokerCpuMs: number;
  postgresCpuMs: number;
  /** gRPC calls per transaction by method (`SendMessage`, `EndTransaction`, ...). */
  rpcs: Record<string, number>;
  sqlStatements: number;
  /** The application side's write and read system calls, and its bytes out and in (both processes when split). */
  writeSyscalls: number;
  readSyscalls: number;
  bytesOut: number;
  bytesIn: number;
}

const rpcCounts = new Map<string, number>();
let sqlCount = 0;
let installed = false;

/** What this process counted so far (installCallCounters). */
export function callCounts(): CallCounts {
  return { rpcs: Object.fromEntries(rpcCounts), sqlStatements: sqlCount };
}

/** Wraps node:http2's client requests and pg's query in this process with counters (once). */
export function installCallCounters(): void {
  if (installed) return;
  installed = true;
  // node:http2 does not export its session class: its prototype is taken from a session that never connects.
  const probe = http2.connect('http://127.0.0.1:9');
  probe.on('error', () => undefined);
  const sessionProto = Object.getPrototypeOf(probe) as { request: (headers: http2.OutgoingHttpHeaders, ...rest: unknown[]) => unknown };
  probe.destroy();
  const request = sessionProto.request;
  sessionProto.request = function (this: unknown, headers: http2.OutgoingHttpHeaders, ...rest: unknown[]) {
    const path = String(headers?.[':path'] ?? '');
    const rpcName = path.slice(path.lastIndexOf('/') + 1);
    if (path.startsWith('/apache.rocketmq.v2.MessagingService/')) rpcCounts.set(rpcName, (rpcCounts.get(rpcName) ?? 0) + 1);
    return request.call(this, headers, ...rest);
  };
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
    private readonly consumer?: ConsumerSide,
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
    const consumerCpuMs = per((end.consumerCpuS - this.start.consumerCpuS) * 1000);
    return {
      appCpuMs: per((end.appCpuS - this.start.appCpuS) * 1000) + (this.consumer ? consumerCpuMs : 0),
      consumerCpuMs,
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
    const rpcs = new Map(rpcCounts);
    let sqlStatements = sqlCount;
    let appIo = processIo(process.pid);
    if (this.consumer) {
      const counts = this.consumer.counts();
      for (const [rpc, count] of Object.entries(counts.rpcs)) rpcs.set(rpc, (rpcs.get(rpc) ?? 0) + count);
      sqlStatements += counts.sqlStatements;
      const io = processIo(this.consumer.pid);
      appIo = {
        readSyscalls: appIo.readSyscalls + io.readSyscalls,
        writeSyscalls: appIo.writeSyscalls + io.writeSyscalls,
        bytesRead: appIo.bytesRead + io.bytesRead,
        bytesWritten: appIo.bytesWritten + io.bytesWritten,
      };
    }
    return {
      appCpuS: (usage.user + usage.system) / 1e6,
      consumerCpuS: this.consumer ? processCpuSeconds(this.consumer.pid) : Number.NaN,
      brokerCpuS: processCpuSeconds(this.brokerPid),
      postgresCpuS: this.postmasterPid === undefined ? Number.NaN : postgresCpuSeconds(this.postmasterPid),
      appIo,
      rpcs,
      sqlStatements,
    };
  }
}

/**
 * CPU seconds of the postmaster and every process it started (backends, checkpointer, WAL writer):
 * the live ones read one by one, and the ended ones from the postmaster's cutime and cstime (the
 * CPU of children it reaped). Without the second part a backend that ends inside a window (a pool
 * closing an idle connection) takes its whole past CPU out of the difference, which can go negative.
 */
export function postgresCpuSeconds(postmasterPid: number): number {
  const postmaster = readFileSync(`/proc/${postmasterPid}/stat`, 'utf8');
  const own = postmaster.slice(postmaster.lastIndexOf(')') + 2).split(' ');
  // utime, stime, cutime, cstime are fields 14-17 of /proc/<pid>/stat (11-14 after the command).
  let total = (Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14])) / CLOCK_TICKS;
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
