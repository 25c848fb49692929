import {
  Body,
  Controller,
  Delete,
  Get,
  Header,
  HttpCode,
  Inject,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import type { Response } from 'express';
import { toFieldErrors } from '../shared/contracts/errors';
import { Public, Roles, type AuthedRequest } from './auth.guard';
import { sessionCookie } from './codec-http';
import { CODEC_PAGE, CODEC_PAGE_CSP } from './codec-page';
import { CodecBody, CodecService } from './codec.service';
import { invalidRequest } from './problem';
import { Role } from '../shared/tenancy/directory';

const parse = (body: unknown): CodecBody => {
  const parsed = CodecBody.safeParse(body);
  if (!parsed.success)
    throw invalidRequest(
      'Send {"payloads":[{"metadata":{…},"data":"…"}]}.',
      toFieldErrors(parsed.error.issues),
    );
  return parsed.data;
};

/**
 * Temporal's codec server protocol (what `--ui-codec-endpoint` and `temporal --codec-endpoint`
 * call): `POST /codec/decode` and `POST /codec/encode`, protobuf JSON `Payloads` in and out.
 * Admin or operator keys only (a caller's key is refused); CORS for the Web UI: codec-http.ts.
 * The browser signs in at `GET /codec` (a cookie, since the Web UI cannot send a Keel key).
 */
@Controller('codec')
@Roles(Role.admin)
export class CodecController {
  constructor(@Inject(CodecService) private readonly codec: CodecService) {}

  @Post('decode')
  @HttpCode(200)
  decode(
    @Body() body: unknown,
    @Query('workflowId') workflowId: string | undefined,
    @Req() req: AuthedRequest,
  ): Promise<CodecBody> {
    return this.codec.decode({
      tenant: req.tenant,
      body: parse(body),
      workflowId: workflowId ?? req.header('x-keel-workflow-id'),
      namespace: req.header('x-namespace'),
    });
  }

  @Get()
  @Public()
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('content-security-policy', CODEC_PAGE_CSP)
  @Header('x-content-type-options', 'nosniff')
  @Header('x-frame-options', 'DENY')
  @Header('referrer-policy', 'no-referrer')
  @Header('cache-control', 'no-store')
  page(): string {
    return CODEC_PAGE;
  }

  /** Signs the browser in: the key of the Authorization header, in the codec cookie. */
  @Post('session')
  @HttpCode(204)
  signIn(@Req() req: AuthedRequest, @Res({ passthrough: true }) res: Response): void {
    const key = /^Bearer\s+(\S+)\s*$/i.exec(req.header('authorization') ?? '')?.[1];
    res.setHeader('set-cookie', sessionCookie(key));
  }

  @Delete('session')
  @Public()
  @HttpCode(204)
  signOut(@Res({ passthrough: true }) res: Response): void {
    res.setHeader('set-cookie', sessionCookie(undefined));
  }

  @Post('encode')
  @HttpCode(200)
  encode(@Body() body: unknown): Promise<CodecBody> {
    return this.codec.encode(parse(body));
  }
}
