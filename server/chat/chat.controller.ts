import { Body, Controller, Get, HttpCode, Inject, Param, Post, Req, Res } from '@nestjs/common';
import type { Response } from 'express';
import type { KeelConfig } from '../../shared/platform/config';
import type { AuthedRequest } from '../auth.guard';
import { ProblemError } from '../problem';
import { CONFIG } from '../tokens';
import { listChatModels } from './chat-models';
import type { ChatDialect } from './chat-dialect';
import { openAIDialect } from './chat-wire';
import { anthropicDialect } from './messages-wire';
import { ChatService } from './chat.service';

/** OpenAI's model object; `created` is fixed (Keel's routes have no creation date). */
const modelObject = (id: string) => ({
  id,
  object: 'model' as const,
  created: 0,
  owned_by: id.includes(':') ? id.slice(0, id.indexOf(':')) : 'keel',
});

/**
 * The OpenAI-compatible door (and Anthropic's Messages beside it): existing code changes its base
 * URL to Keel's and its key to a Keel key. Errors here are in the vendor's shape
 * (server/chat/openai-errors.ts, anthropic-errors.ts).
 */
@Controller('v1')
export class ChatController {
  constructor(
    @Inject(ChatService) private readonly chat: ChatService,
    @Inject(CONFIG) private readonly config: KeelConfig,
  ) {}

  @Post('chat/completions')
  @HttpCode(200)
  async completions(
    @Body() body: unknown,
    @Req() req: AuthedRequest,
    @Res() res: Response,
  ): Promise<void> {
    await this.answer(openAIDialect, body, req, res);
  }

  /** Anthropic's Messages API on the same job: its clients change their base URL and key. */
  @Post('messages')
  @HttpCode(200)
  async messages(
    @Body() body: unknown,
    @Req() req: AuthedRequest,
    @Res() res: Response,
  ): Promise<void> {
    await this.answer(anthropicDialect, body, req, res);
  }

  private async answer(
    dialect: ChatDialect,
    body: unknown,
    req: AuthedRequest,
    res: Response,
  ): Promise<void> {
    const ctx = {
      tenant: req.tenant,
      dialect,
      body,
      requestId: String(req.headers['x-request-id']),
      // Present but empty is refused like any malformed key, not taken for no key.
      ...(req.header('idempotency-key') !== undefined
        ? { idempotencyKey: req.header('idempotency-key') }
        : {}),
    };
    if ((body as { stream?: unknown } | undefined)?.stream === true) {
      await this.chat.stream(ctx, req, res);
      return;
    }
    const { body: answer, headers } = await this.chat.complete(ctx);
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    res.status(200).json(answer);
  }

  @Get('models')
  models(@Req() req: AuthedRequest) {
    return { object: 'list', data: listChatModels(req.tenant, this.config).map(modelObject) };
  }

  @Get('models/*id')
  model(@Param('id') id: string | string[], @Req() req: AuthedRequest) {
    const name = Array.isArray(id) ? id.join('/') : id;
    if (!listChatModels(req.tenant, this.config).includes(name))
      throw ProblemError.of('model-not-found', `There is no model "${name}".`, {
        errors: [{ field: 'model', message: 'unknown model' }],
      });
    return modelObject(name);
  }
}
