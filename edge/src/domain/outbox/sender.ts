import type { OutboxMessage } from '../../repositories/outbox.ts';
import type { MailConfig } from '../auth/config.ts';

/**
 * Delivers outbox rows. The sender is pluggable: `none` leaves rows in the table (local and
 * tests: readable there, and printed by `npm start`), `http` posts them as JSON to a mail API
 * with a bearer key from a secret. Failed sends stay queued and are retried up to MAX_ATTEMPTS.
 * The D1 side (draining, purging) is services/outbox.ts.
 */

export interface MailSender {
  send(message: OutboxMessage & { from: string }): Promise<void>;
}

/** Sends per message before it is given up (the housekeeping cron removes it at expiry). */
export const MAX_ATTEMPTS = 5;

export function httpMailSender(apiUrl: string, apiKey: string, fetcher: typeof fetch = fetch): MailSender {
  return {
    async send(message) {
      const res = await fetcher(apiUrl, {
        method: 'POST',
        headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({
          from: message.from,
          to: message.recipient,
          subject: message.subject,
          text: message.body,
        }),
      });
      if (!res.ok) throw new Error(`mail API answered ${res.status}`);
    },
  };
}

export function senderFor(mail: MailConfig): MailSender | null {
  if (mail.sender === 'http' && mail.apiUrl && mail.apiKey) return httpMailSender(mail.apiUrl, mail.apiKey);
  return null;
}
