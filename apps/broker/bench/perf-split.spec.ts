import { classify, functionName, parseSamples, splitByProcess } from './perf-split';

// Three samples as `perf script -F pid,tid,ip,sym` prints them (frames indented by a tab, leaf first).
const SCRIPT = `11695/11695 
\tffffffff82242009 pvm_irq_enable
\tffffffff8223c951 do_syscall_64
\t          86193 __GI___writev
\t    7fb9f82b25e7 JS:*writevGeneric node:internal/stream_base_commons:123:25
\t          2724a __libc_start_call_main

11695/11695 
\t    7fb9f82f4c50 JS:*respond /tmp/b/apps/broker/src/grpc/server/grpc-server-call.js:74:12
\t    7fb9f82f74e1 JS:*onStream /tmp/b/apps/broker/src/grpc/server/grpc-http2-server.js:127:13
\t          2724a __libc_start_call_main

11695/11698 
\t          932cd3 v8::internal::compiler::GraphReducer::ReduceTop
\t          891f5 start_thread

11695/11699 
\t          a1b2c3 v8::internal::ConcurrentMarking::RunMajor
\t          891f5 start_thread

0/0 
\tffffffff82242009 pvm_irq_enable

4242/4242 
\t    7fb9f82f4c50 JS:*respond /tmp/b/apps/broker/src/grpc/server/grpc-server-call.js:74:12
`;

describe('perf-split', () => {
  const samples = [...parseSamples(SCRIPT.split('\n'))];

  it('reads one sample per header line, frames leaf first', () => {
    expect(samples.map((sample) => `${sample.pid}/${sample.tid}:${sample.frames.length}`)).toEqual([
      '11695/11695:5',
      '11695/11695:3',
      '11695/11698:2',
      '11695/11699:2',
      '0/0:1',
      '4242/4242:1',
    ]);
  });

  it('classes a sample by its chain: the compiler, GC, a kernel leaf, else JavaScript and native code', () => {
    expect(samples.slice(0, 4).map(classify)).toEqual(['kernel', 'js/native', 'compile', 'gc']);
  });

  it('names a frame by its symbol alone', () => {
    expect(functionName('    7fb9f82f4c50 JS:*respond node:internal/http2/core:2792:10')).toBe('JS:*respond node:internal/http2/core:2792:10');
    expect(functionName('86193 __GI___writev+0x1a (/usr/lib/libc.so.6)')).toBe('__GI___writev');
  });

  it('splits each process into its main thread and helper threads, leaving out the idle task and pids not asked for', () => {
    const splits = splitByProcess(samples, new Set([11695]));
    expect([...splits.keys()]).toEqual([11695]);
    const broker = splits.get(11695)!;
    expect(broker.total).toBe(4);
    expect(broker.counts.main).toEqual({ 'js/native': 1, kernel: 1, gc: 0, compile: 0 });
    expect(broker.counts.helpers).toEqual({ 'js/native': 0, kernel: 0, gc: 1, compile: 1 });
    // Inclusive: a function counts once per main-thread sample it is on.
    expect(broker.mainFunctions.get('__libc_start_call_main')).toBe(2);
    expect(broker.mainFunctions.get('JS:*respond /tmp/b/apps/broker/src/grpc/server/grpc-server-call.js:74:12')).toBe(1);
    expect([...splitByProcess(samples).keys()].sort((a, b) => a - b)).toEqual([4242, 11695]);
  });
});
