import { Controller, Get, Header, Inject } from '@nestjs/common';
import type { KeelConfig } from '../shared/platform/config';
import { Public } from './auth.guard';
import { buildOpenApi } from './openapi';
import { CONFIG } from './tokens';

export const DOCS_ASSETS = '/docs/assets';

/**
 * Swagger UI's page: its scripts and styles from this origin only (it sets inline style
 * attributes, hence 'unsafe-inline' for styles alone), calls to this API, no frames or forms.
 */
export const DOCS_PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

@Public()
@Controller()
export class DocsController {
  private readonly document: object;

  constructor(@Inject(CONFIG) config: KeelConfig) {
    this.document = buildOpenApi({ maxBodyBytes: config.maxBodyBytes });
  }

  @Get('openapi.json')
  openapi(): object {
    return this.document;
  }

  /** Swagger UI, served from the local swagger-ui-dist package (no CDN). */
  @Get('docs')
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('content-security-policy', DOCS_PAGE_CSP)
  @Header('x-content-type-options', 'nosniff')
  @Header('x-frame-options', 'DENY')
  @Header('referrer-policy', 'no-referrer')
  docs(): string {
    return `<!doctype html>
<html><head><meta charset="utf-8"><title>Keel API</title>
<link rel="stylesheet" href="${DOCS_ASSETS}/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="${DOCS_ASSETS}/swagger-ui-bundle.js"></script>
<script src="${DOCS_ASSETS}/docs-init.js"></script>
</body></html>`;
  }

  @Get('docs/assets/docs-init.js')
  @Header('content-type', 'application/javascript; charset=utf-8')
  init(): string {
    return "window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#ui', persistAuthorization: true });";
  }
}
