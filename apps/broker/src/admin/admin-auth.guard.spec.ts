import { crossSiteProblem } from './admin-auth.guard';

describe('crossSiteProblem (changing admin requests from another site are refused)', () => {
  const request = (method: string, headers: Record<string, string>) => ({ method, headers: { host: '127.0.0.1:8080', ...headers } });

  it('lets reads through from anywhere', () => {
    expect(crossSiteProblem(request('GET', { origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' }))).toBeUndefined();
    expect(crossSiteProblem(request('HEAD', { 'sec-fetch-site': 'cross-site' }))).toBeUndefined();
  });

  it('lets changes through from programs (no Origin, no Sec-Fetch-Site) and from the broker’s own pages', () => {
    expect(crossSiteProblem(request('POST', {}))).toBeUndefined();
    expect(crossSiteProblem(request('PUT', { origin: 'http://127.0.0.1:8080', 'sec-fetch-site': 'same-origin' }))).toBeUndefined();
    expect(crossSiteProblem(request('DELETE', { 'sec-fetch-site': 'none' }))).toBeUndefined();
  });

  it('refuses changes a page of another site or another port sends', () => {
    expect(crossSiteProblem(request('POST', { 'sec-fetch-site': 'cross-site' }))).toMatch(/cross-site page is refused/);
    expect(crossSiteProblem(request('POST', { 'sec-fetch-site': 'same-site' }))).toMatch(/same-site page is refused/);
    expect(crossSiteProblem(request('PUT', { origin: 'http://evil.example' }))).toMatch(/from http:\/\/evil.example is refused/);
    expect(crossSiteProblem(request('DELETE', { origin: 'http://127.0.0.1:3000' }))).toMatch(/is refused/);
    expect(crossSiteProblem(request('POST', { origin: 'null' }))).toMatch(/Origin "null" is refused/);
  });
});
