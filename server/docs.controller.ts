import { Controller, Get, Header, Inject } from '@nestjs/common';
import type { KeelConfig } from '../shared/platform/config';
import { Public } from './auth.guard';
import { buildOpenApi } from './openapi';
import { CONFIG } from './tokens';

export const DOCS_ASSETS = '/docs/assets';

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
