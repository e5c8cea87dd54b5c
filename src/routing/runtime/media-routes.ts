import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError, ERROR_CODES } from '../../errors.ts';
import type { PromptAudio } from './prompt-audio.ts';

// Prompt audio for Asterisk's HTTP media cache (`sound:http://…/media/prompts/<key>.wav`). Public: Asterisk
// fetches without credentials. A key is a keyed hash the engine made (prompt-audio.ts), so the path cannot be
// guessed from a prompt's text, and anything else is a 404.

export const PROMPT_MEDIA_PATH = '/media/prompts/:file';

export function promptMediaRoutes(audio: PromptAudio): FastifyPluginAsync {
  return async (app) => {
    const schema = {
      tags: ['routing'],
      summary: "A routing prompt's audio (WAV), for Asterisk to play",
      params: z.object({ file: z.string().max(64) }),
    };
    app.withTypeProvider<ZodTypeProvider>().get(PROMPT_MEDIA_PATH, { schema, config: { access: 'public' } }, async (req, reply) => {
      const match = /^([0-9a-f]{40})\.wav$/.exec(req.params.file);
      const wav = match ? await audio.file(match[1]!) : null;
      if (wav === null) throw new AppError(ERROR_CODES.NOT_FOUND, 'no such prompt');
      // The content never changes under its name.
      return reply.header('content-type', 'audio/wav').header('cache-control', 'public, max-age=31536000, immutable').send(wav);
    });
  };
}
