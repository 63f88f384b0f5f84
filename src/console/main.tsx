import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { useLive } from './lib/live';
import { applyTheme, storedTheme } from './lib/theme';
import { LABS, LabPage, Layout } from './lib/ui';
import { BankPage } from './pages/bank';
import { BookingPage } from './pages/booking';
import { CounterPage } from './pages/counter';
import { ExperimentsPage } from './pages/experiments';
import { OrdersPage } from './pages/orders';
import { OverviewPage } from './pages/overview';
import { ReplicationPage } from './pages/replication';
import './styles.css';

type Route =
  { page: 'overview' } | { page: LabPage } | { page: 'experiments'; id?: string } | { page: 'missing'; path: string };

function route(path: string): Route {
  const parts = path.replace(/\/+$/, '').split('/').filter(Boolean);
  if (parts[0] !== 'console' || parts.length === 1) return { page: 'overview' };
  if (parts[1] === 'experiments') return { page: 'experiments', id: parts[2] };
  if ((LABS as readonly string[]).includes(parts[1]) && parts.length === 2) return { page: parts[1] as LabPage };
  return { page: 'missing', path };
}

const PAGES: Record<LabPage, (p: { snapshot?: any }) => any> = {
  booking: BookingPage,
  bank: BankPage,
  orders: OrdersPage,
  counter: CounterPage,
  replication: ReplicationPage,
};

function LabView({ lab }: { lab: LabPage }) {
  const live = useLive([lab]);
  const Page = PAGES[lab];
  useEffect(() => void (document.title = `${lab} — lab console`), [lab]);
  return (
    <Layout current={lab} connection={live.connection} downSince={live.downSince}>
      <Page snapshot={live.labs[lab]} />
    </Layout>
  );
}

function Overview() {
  const live = useLive([]);
  return (
    <Layout current="overview" connection={live.connection} downSince={live.downSince}>
      <OverviewPage live={live} />
    </Layout>
  );
}

function App() {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const onPop = () => setPath(location.pathname);
    addEventListener('popstate', onPop);
    return () => removeEventListener('popstate', onPop);
  }, []);
  const r = route(path);
  switch (r.page) {
    case 'overview':
      return <Overview />;
    case 'experiments':
      return (
        <Layout current="experiments">
          <ExperimentsPage id={r.id} />
        </Layout>
      );
    case 'missing':
      return (
        <Layout current="">
          <h1>Not found</h1>
          <p>No console page at {r.path}.</p>
        </Layout>
      );
    case 'booking':
    case 'bank':
    case 'orders':
    case 'counter':
    case 'replication':
      return <LabView key={r.page} lab={r.page} />;
  }
}

applyTheme(storedTheme());
render(<App />, document.getElementById('app')!);
