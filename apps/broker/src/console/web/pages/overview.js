// Overview: store size and disk, send and consume rates, pending half messages, groups with lag.
import { useRef } from 'preact/hooks';
import { api } from '../api.js';
import { ErrorBox, Link, Table, formatBytes, formatCount, formatDuration, html, useLoad } from '../ui.js';

const POLL_MS = 2000;

/** Messages per second between the previous poll and this one (null on the first). */
function useRate(value, nowMs) {
  const previous = useRef(undefined);
  const rate = useRef(null);
  if (value !== undefined && nowMs !== undefined && previous.current?.nowMs !== nowMs) {
    if (previous.current && nowMs > previous.current.nowMs) {
      rate.current = Math.max(0, ((value - previous.current.value) * 1000) / (nowMs - previous.current.nowMs));
    }
    previous.current = { value, nowMs };
  }
  return rate.current;
}

function Card({ title, value, detail, testId }) {
  return html`<div class="card" data-testid=${testId}>
    <div class="card-title">${title}</div>
    <div class="card-value">${value}</div>
    ${detail && html`<div class="card-detail">${detail}</div>`}
  </div>`;
}

export function OverviewPage() {
  const overview = useLoad(() => api('/overview'), [], POLL_MS);
  const o = overview.data;
  const sendRate = useRate(o?.messagesStored, o?.nowMs);
  const consumeRate = useRate(o?.messagesConsumed, o?.nowMs);
  const rate = (r) => (r === null ? 'measuring...' : `${r.toFixed(1)} msg/s`);
  return html`<section>
    <h2>Overview</h2>
    <${ErrorBox} error=${overview.error} />
    ${
      o &&
      html`<div class="cards">
          <${Card}
            testId="card-store"
            title="Commit log"
            value=${formatBytes(o.store.commitLogBytes)}
            detail=${`disk used ${formatBytes(o.store.diskUsedBytes)}, free ${formatBytes(o.store.diskFreeBytes)} of ${formatBytes(o.store.diskTotalBytes)}`}
          />
          <${Card} testId="card-send-rate" title="Send rate" value=${rate(sendRate)} detail=${`${formatCount(o.messagesStored)} messages stored`} />
          <${Card}
            testId="card-consume-rate"
            title="Consume rate"
            value=${rate(consumeRate)}
            detail=${`${formatCount(o.messagesConsumed)} messages consumed`}
          />
          <${Card}
            testId="card-half"
            title="Pending half messages"
            value=${formatCount(o.halfMessages.pending)}
            detail=${html`${formatCount(o.halfMessages.checkMax)} past the check limit · <${Link} to="/transactions">transactions</${Link}>`}
          />
          <${Card} testId="card-topics" title="Topics" value=${formatCount(o.topicCount)} detail=${`up ${formatDuration(o.nowMs - o.startedAtMs)}`} />
          <${Card}
            testId="card-damaged"
            title="Damaged records"
            value=${formatCount(o.store.damagedRecords)}
            detail=${o.store.damagedRecords > 0 ? 'restore the affected file' : 'none found'}
          />
        </div>
        <h3>Consumer groups by lag</h3>
        <${Table}
          testId="overview-groups"
          rows=${o.groups}
          rowKey=${(g) => g.group}
          empty="No consumer group yet."
          columns=${[
            { title: 'Group', render: (g) => html`<${Link} to=${`/groups/${encodeURIComponent(g.group)}`}>${g.group}</${Link}>` },
            { title: 'Topics', render: (g) => g.topics.join(', ') || '-' },
            { title: 'Lag', className: 'num', render: (g) => formatCount(g.totalLag) },
            { title: 'In flight', className: 'num', render: (g) => formatCount(g.inFlight) },
          ]}
        />`
    }
  </section>`;
}
