// The console's shell: navigation and a hash router (#/page/arg?query), one page at a time.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api } from './api.js';
import { html, useLoad } from './ui.js';
import { OverviewPage } from './pages/overview.js';
import { TopicsPage, TopicPage } from './pages/topics.js';
import { GroupsPage, GroupPage } from './pages/groups.js';
import { MessagesPage } from './pages/messages.js';
import { TransactionsPage } from './pages/transactions.js';
import { DeadLettersPage } from './pages/dead-letters.js';
import { TimelinePage } from './pages/timeline.js';

const NAV = [
  ['overview', 'Overview'],
  ['topics', 'Topics'],
  ['groups', 'Consumer groups'],
  ['messages', 'Messages'],
  ['transactions', 'Transactions'],
  ['dlq', 'Dead letters'],
  ['timeline', 'Timeline'],
];

/** The current route: page, its argument (a name, decoded) and the query parameters. */
function parseRoute() {
  const hash = location.hash.replace(/^#\/?/, '');
  const [path, search = ''] = hash.split('?');
  const [page = 'overview', ...rest] = path.split('/');
  return { page: page || 'overview', arg: rest.length ? decodeURIComponent(rest.join('/')) : undefined, params: new URLSearchParams(search) };
}

function Page({ route }) {
  switch (route.page) {
    case 'overview':
      return html`<${OverviewPage} />`;
    case 'topics':
      return route.arg === undefined ? html`<${TopicsPage} />` : html`<${TopicPage} name=${route.arg} />`;
    case 'groups':
      return route.arg === undefined ? html`<${GroupsPage} />` : html`<${GroupPage} group=${route.arg} />`;
    case 'messages':
      return html`<${MessagesPage} params=${route.params} />`;
    case 'transactions':
      return html`<${TransactionsPage} />`;
    case 'dlq':
      return html`<${DeadLettersPage} group=${route.arg} />`;
    case 'timeline':
      return html`<${TimelinePage} params=${route.params} />`;
    default:
      return html`<p class="error">No page ${route.page}.</p>`;
  }
}

function App() {
  const [route, setRoute] = useState(parseRoute());
  useEffect(() => {
    const onHash = () => setRoute(parseRoute());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  const cluster = useLoad(() => api('/cluster'), []);
  return html`<div class="shell">
    <header>
      <span class="brand">Broker console</span>
      ${cluster.data && html`<span class="broker" data-testid="broker-name">${cluster.data.brokerName} · ${cluster.data.version} · gRPC ${cluster.data.addresses.grpc}</span>`}
    </header>
    <nav>
      ${NAV.map(([page, title]) => html`<a href=${`#/${page}`} class=${route.page === page ? 'active' : ''} data-testid=${`nav-${page}`}>${title}</a>`)}
    </nav>
    <main data-testid=${`page-${route.page}`}>
      <${Page} route=${route} />
    </main>
  </div>`;
}

const root = document.getElementById('root');
root.textContent = '';
render(html`<${App} />`, root);
