import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { database } from '../../src/db/client.ts';
import { httpMailSender, type MailSender } from '../../src/domain/outbox/sender.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { enqueueMessage } from '../../src/repositories/outbox.ts';
import { drainOutbox } from '../../src/services/outbox.ts';
import { authFetch, errorOf, jsonInit } from '../helpers.ts';

/** The outbox sender is pluggable; tests never reach a real mail API. */

const silent = createLogger({}, () => {});

describe('outbox delivery', () => {
  it('drains unsent rows through the sender, marks them sent, and retries failures', async () => {
    const db = database(env.DB);
    const recipient = `outbox-${crypto.randomUUID()}@example.test`;
    await enqueueMessage(db, { kind: 'test', recipient, subject: 's', body: 'b' }, 1);
    const sent: string[] = [];
    let fail = true;
    const sender: MailSender = {
      async send(message) {
        if (message.recipient !== recipient) return;
        if (fail) throw new Error('mail API down');
        sent.push(message.recipient);
      },
    };
    await drainOutbox(db, sender, 'from@example.test', silent, () => 10);
    const row = () =>
      env.DB.prepare('SELECT sent_at, attempts, body FROM outbox WHERE recipient = ?')
        .bind(recipient)
        .first<{ sent_at: number | null; attempts: number; body: string }>();
    expect(await row()).toEqual({ sent_at: null, attempts: 1, body: 'b' });
    fail = false;
    await drainOutbox(db, sender, 'from@example.test', silent, () => 20);
    expect(sent).toEqual([recipient]);
    expect(await row()).toEqual({ sent_at: 20, attempts: 2, body: '' });
  });

  it('the HTTP sender posts JSON with the bearer key to the configured URL', async () => {
    const calls: { url: string; init: RequestInit }[] = [];
    const fake = (async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      return new Response(null, { status: 202 });
    }) as unknown as typeof fetch;
    await httpMailSender('https://mail.example.test/send', 'mail-key', fake).send({
      kind: 'password_reset',
      recipient: 'a@example.test',
      subject: 'Reset',
      body: 'text',
      from: 'Airlock <no-reply@example.test>',
    });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.url).toBe('https://mail.example.test/send');
    expect(new Headers(calls[0]?.init.headers).get('authorization')).toBe('Bearer mail-key');
    expect(JSON.parse(String(calls[0]?.init.body))).toEqual({
      from: 'Airlock <no-reply@example.test>',
      to: 'a@example.test',
      subject: 'Reset',
      text: 'text',
    });
  });

  it('MAIL_SENDER=http without its URL and key is a configuration error', async () => {
    const res = await authFetch('/v1/auth/password/forgot', jsonInit('POST', { email: 'x@example.test' }), {
      MAIL_SENDER: 'http',
    } as Partial<Env>);
    expect(res.status).toBe(500);
    expect((await errorOf(res)).code).toBe('server_misconfigured');
  });
});
