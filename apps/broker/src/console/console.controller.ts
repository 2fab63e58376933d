import { Controller, Get, NotFoundException, Param, Res } from '@nestjs/common';
import { ConsoleAssets } from './console-assets';

/** What the controller sets on Express's response. */
interface HttpResponse {
  setHeader(name: string, value: string): void;
  status(code: number): HttpResponse;
  end(body: Buffer): void;
}

/**
 * The web console at `/console` (issue 14): a page, its modules and two vendor libraries (Preact
 * and htm, as ES modules through an import map; no build step). It reads and changes the broker
 * only through the admin API beside it, with the browser's credentials for that API (HTTP Basic
 * when authentication is on: the guard asks for them on the page itself). Every answer forbids
 * framing and scripts from anywhere else (Content-Security-Policy).
 */
@Controller('console')
export class ConsoleController {
  /** Read when the admin API starts, so a missing file fails the start rather than a page. */
  private readonly assets = new ConsoleAssets();

  @Get()
  page(@Res() response: HttpResponse): void {
    const assets = this.assets;
    this.send(response, assets, assets.page, 'text/html; charset=utf-8', 'no-cache');
  }

  @Get('*asset')
  asset(@Param('asset') asset: string | string[], @Res() response: HttpResponse): void {
    const assets = this.assets;
    const key = Array.isArray(asset) ? asset.join('/') : asset;
    const file = assets.files.get(key);
    if (!file) throw new NotFoundException(`no console file ${JSON.stringify(key)}`);
    this.send(response, assets, file.body, file.contentType, 'no-cache');
  }

  private send(response: HttpResponse, assets: ConsoleAssets, body: Buffer, contentType: string, cacheControl: string): void {
    response.setHeader('Content-Type', contentType);
    response.setHeader('Content-Length', String(body.length));
    response.setHeader('Cache-Control', cacheControl);
    response.setHeader('Content-Security-Policy', assets.contentSecurityPolicy);
    response.setHeader('X-Content-Type-Options', 'nosniff');
    response.setHeader('X-Frame-Options', 'DENY');
    response.setHeader('Referrer-Policy', 'no-referrer');
    response.status(200).end(body);
  }
}
