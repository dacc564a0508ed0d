/**
 * Password rules (NIST SP 800-63B 5.1.1.2, OWASP ASVS V6.2): 12–128 characters, any characters
 * allowed, no composition rules, and a refusal of the most common passwords. The list is small on
 * purpose (it ships in the Worker); the 12-character floor already excludes the short top entries.
 */

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 128;

const COMMON = new Set([
  '123456789012',
  '1234567890123',
  '12345678901234',
  '123456789123',
  '111111111111',
  '000000000000',
  '123123123123',
  '121212121212',
  '112233445566',
  'aaaaaaaaaaaa',
  'abcdefghijkl',
  'abc123456789',
  'abcd12345678',
  'password1234',
  'password12345',
  'password123456',
  'passwordpassword',
  'password1234!',
  'password123!',
  'password@123',
  'p@ssw0rd1234',
  'p@ssword1234',
  'qwertyuiopas',
  'qwertyuiop12',
  'qwerty123456',
  'qwerty12345678',
  'qwertyqwerty',
  '1q2w3e4r5t6y',
  '1qaz2wsx3edc',
  'q1w2e3r4t5y6',
  'zaq12wsxcde3',
  'asdfghjkl123',
  'iloveyou1234',
  'iloveyouiloveyou',
  'letmein12345',
  'welcome12345',
  'welcome123456',
  'changeme1234',
  'administrator',
  'admin1234567',
  'adminadmin123',
  'football1234',
  'baseball1234',
  'monkey123456',
  'sunshine1234',
  'princess1234',
  'dragon123456',
  'starwars1234',
  'trustno1trustno1',
  'correcthorsebatterystaple',
  'passw0rdpassw0rd',
  'superman1234',
  'michael12345',
  'whatever1234',
  'computer1234',
  'internet1234',
  'secret123456',
  'mypassword123',
  'mypassword1234',
  'newpassword123',
  'thisismypassword',
  'airlockairlock',
  'airlock12345',
]);

export type PasswordProblem = 'too_short' | 'too_long' | 'too_common';

/** Length counts characters (code points), not bytes, as NIST asks. */
export function passwordProblem(password: string): PasswordProblem | null {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) return 'too_short';
  if (length > PASSWORD_MAX_LENGTH) return 'too_long';
  const folded = password.normalize('NFKC').toLowerCase();
  if (COMMON.has(folded)) return 'too_common';
  // One character repeated, e.g. "zzzzzzzzzzzz", is as guessable as anything on the list.
  if (new Set(folded).size === 1) return 'too_common';
  return null;
}
