import { Body, Controller, HttpCode, Inject, Post, Query, Req } from '@nestjs/common';
import { toFieldErrors } from '../shared/contracts/errors';
import { Roles, type AuthedRequest } from './auth.guard';
import { CodecBody, CodecService } from './codec.service';
import { invalidRequest } from './problem';
import { Role } from './tenants';

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

  @Post('encode')
  @HttpCode(200)
  encode(@Body() body: unknown): Promise<CodecBody> {
    return this.codec.encode(parse(body));
  }
}
