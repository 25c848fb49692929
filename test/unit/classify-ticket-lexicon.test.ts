import { describe, it, expect } from 'vitest';
import {
  TICKET_CATEGORIES,
  classifyTicketLexicon,
  type TicketCategory,
  type TicketClassification,
} from '../../shared/tasks/local/classify-ticket-lexicon';

type Case = [subject: string, body: string];

/** Realistic tickets as "subject | body" (empty subject: " | body"). */
const TABLE: Record<TicketCategory, string[]> = {
  BILLING: [
    'Refund | I was charged twice for my subscription',
    'Double charge on my card | My bank statement shows two identical transactions this month.',
    'Invoice request | Could you send me an invoice with our VAT number for March?',
    'Overcharged | You billed me for 12 seats but we only have 8 users.',
    'Cancel subscription | Please cancel my subscription and stop the automatic renewal.',
    'Receipt missing | I paid yesterday but never got a receipt by email.',
    'Price increase? | Why did the price of the Pro plan go up from $20 to $25?',
    'Payment failed | My credit card payment failed although the card is valid.',
    ' | I want my money back, the annual plan renewed without any warning.',
    'Wrong amount | The amount on the last invoice is higher than the quoted plan cost.',
    'Discount code | The promo code from your newsletter is not applied at checkout.',
    'Tax question | Is sales tax included in the monthly fee for customers in Texas?',
    'Refund for unused months | We downgraded to the free tier, can we get a prorated refund?',
    'Card declined | Card declined when trying to upgrade, is there a problem on your side?',
    'Billing address | Please update the billing address that appears on our invoices.',
    'Trial ended | My trial ended and I was charged right away; I wanted to pay annually.',
    'Chargeback | Our finance team opened a chargeback because of a duplicate payment.',
    'Subscription cost | How much does the subscription cost for a team of 50?',
    'Still waiting | It has been two weeks and the refund has not arrived on my debit card.',
    'Pricing | Do you offer a discount for nonprofits or an annual pricing option?',
  ],
  TECHNICAL: [
    'App crashes on startup | Since the last update the app crashes as soon as I open it.',
    'Error 500 | Every time I click Export I get a 500 error.',
    'API timeout | Requests to the /v2/orders endpoint time out after 30 seconds. Timeout every time.',
    'Dashboard not loading | The dashboard shows a blank page in Chrome.',
    'Bug in reports | The weekly report shows wrong totals, looks like a bug.',
    'Very slow | The editor has been extremely slow all morning, typing lags by seconds.',
    'Install fails | The installer fails on Windows 11 with exception 0x80070005.',
    'Webhook not firing | Our webhook stopped working after we rotated the secret.',
    'Sync broken | Sync between the desktop and mobile app is broken since Tuesday.',
    " | The login page doesn't load at all, just a white screen.",
    'Upload problem | Uploading a 20 MB CSV gives "request entity too large".',
    'Integration issue | The Slack integration does not work anymore, messages never arrive.',
    'Android app freezes | The Android app freezes on the settings screen.',
    'Outage? | Is there an outage? Your servers return 503 for all of our requests.',
    'SDK | The Python SDK throws an exception when the response is empty.',
    'Import stuck | My import has been stuck at 90% for an hour.',
    'Charts broken | Charts render broken in Safari, labels overlap everything.',
    '404 on docs | Links in the help center lead to 404 pages.',
    ' | Search returns an error whenever the query contains an apostrophe.',
    'Performance | Page load latency went from 200 ms to 4 seconds after the release.',
  ],
  ACCOUNT: [
    'Password reset | I forgot my password and the reset email never arrives.',
    'Locked out | I am locked out of my account after too many attempts.',
    'Change email | How can I change the email address on my profile?',
    '2FA | I lost my phone and cannot get the 2FA code anymore.',
    'Delete my account | Please delete my account and all associated personal data.',
    " | I can't log in even though my password is correct.",
    'Username | Can I change my username? It still shows my maiden name.',
    'Add a team member | How do I invite a colleague and give them admin permissions?',
    'Account hacked | I think my account was compromised, someone changed my recovery phone.',
    'Sign in with Google | Sign in with Google sends me to a new empty account.',
    'Verification code | The verification code SMS never reaches my number.',
    'Transfer ownership | Our owner left the company, please transfer ownership of the workspace to me.',
    'Close account | I want to close my account, how do I do that?',
    'SSO setup | We need SSO via Okta for our organisation, how do we enable it?',
    'Access removed | I no longer have access to the shared projects after my role changed.',
    'Authenticator app | I switched phones, how do I move my authenticator to the new one?',
    'GDPR request | Under GDPR please send me a copy of the personal data you hold about me.',
    'Cannot sign up | Registration says my email is already registered but I never signed up.',
    'Logged out constantly | I keep getting logged out every few minutes and need to sign in again.',
    'Unlock | Please unlock my user, it got locked after the security review.',
  ],
  OTHER: [
    'Thank you | Great job on the new design, my whole team loves it!',
    'Partnership | We are a marketing agency interested in a partnership with you.',
    'Feedback | It would be nice to have a dark mode.',
    'Hello | Just wanted to say hi.',
    'Job application | Are you hiring designers in Berlin?',
    'Press inquiry | I am writing an article about your company and would love a quote from the founder.',
  ],
};
const cases = (category: TicketCategory): Case[] =>
  TABLE[category].map((t): Case => [t.split(' | ')[0] ?? '', t.split(' | ')[1] ?? '']);
const ALL: Case[] = TICKET_CATEGORIES.flatMap(cases);

const classify = (subject: string, body: string): TicketClassification =>
  classifyTicketLexicon({ subject, body });
const conf = (subject: string, body: string): number => classify(subject, body).confidence;

describe('classifyTicketLexicon: realistic tickets', () => {
  for (const category of TICKET_CATEGORIES) {
    it.each(cases(category))(`${category}: %s`, (subject, body) => {
      expect(classify(subject, body).category).toBe(category);
    });
  }

  it('has about 20 tickets for each scored category', () => {
    for (const c of ['BILLING', 'TECHNICAL', 'ACCOUNT'] as const) expect(TABLE[c].length).toBe(20);
  });
});

describe('classifyTicketLexicon: confidence', () => {
  it('holds the documented example', () => {
    const r = classify('Refund', 'I was charged twice for my subscription');
    expect(r.category).toBe('BILLING');
    expect(r.confidence).toBeGreaterThanOrEqual(0.8);
  });

  it('one weak hit is only mildly confident', () => {
    expect(conf('', 'Question about the plan')).toBeGreaterThanOrEqual(0.55);
    expect(conf('', 'Question about the plan')).toBeLessThanOrEqual(0.65);
  });

  it('several strong hits in one category are highly confident', () => {
    const c = conf(
      'Refund',
      'I was overcharged, the invoice shows a double charge on my credit card.',
    );
    expect(c).toBeGreaterThanOrEqual(0.85);
    expect(c).toBeLessThanOrEqual(0.97);
  });

  it('a tie between two categories is close to 0.5', () => {
    expect(Math.abs(conf('', 'refund error') - 0.5)).toBeLessThanOrEqual(0.05);
    expect(Math.abs(conf('Password error', '') - 0.5)).toBeLessThanOrEqual(0.05);
  });

  it('more evidence means more confidence, competing evidence means less', () => {
    const weak = conf('', 'the plan');
    const one = conf('', 'refund please');
    const many = conf('Refund', 'charged twice, refund the invoice to my credit card');
    const mixed = conf('Refund', 'charged twice, and the app shows an error and crashes');
    expect(weak).toBeLessThan(one);
    expect(one).toBeLessThan(many);
    expect(mixed).toBeLessThan(many);
  });

  it('is in [0,1), rounded to 2 decimals, and never 1 even with huge evidence', () => {
    const spam = Array.from({ length: 200 }, () => 'refund invoice overcharged billing').join(' ');
    for (const [subject, body] of [...ALL, ['Refund', spam] as Case]) {
      const c = conf(subject, body);
      expect(c).toBeGreaterThanOrEqual(0);
      expect(c).toBeLessThan(1);
      expect(Math.round(c * 100) / 100).toBe(c);
    }
  });
});

describe('classifyTicketLexicon: matching rules', () => {
  it('ignores a negated term', () => {
    const r = classify(
      'Question',
      'This is not a billing question: the export crashes with an error.',
    );
    expect(r.category).toBe('TECHNICAL');
    expect(r.rationale).toContain('Ignored negated: "billing"');
    expect(classify('', 'This is not about billing.').category).toBe('OTHER');
  });

  it('does not treat "can\'t" as negating the problem it describes', () => {
    expect(classify('', "I can't log in").category).toBe('ACCOUNT');
    expect(classify('', 'I can not log in').category).toBe('ACCOUNT');
  });

  it('matches stemmed forms on word boundaries, case-insensitively', () => {
    for (const body of ['I was CHARGED', 'two charges', 'a charge appeared']) {
      expect(classify('', body).category).toBe('BILLING');
    }
    // "errorless" and "rebuggy" are not the words "error" / "bug".
    expect(classify('', 'errorless rebuggy').category).toBe('OTHER');
  });

  it('weighs the subject 1.5x the body', () => {
    // One strong term on each side: the one in the subject wins either way round.
    expect(classify('refund', 'error').category).toBe('BILLING');
    expect(classify('error', 'refund').category).toBe('TECHNICAL');
    expect(conf('refund', '')).toBeGreaterThan(conf('', 'refund'));
  });

  it('empty-ish input is OTHER with a modest confidence', () => {
    for (const [subject, body] of [
      ['', ''],
      ['', '   '],
      ['Hi', 'Hello there!'],
      ['', '???'],
    ]) {
      const r = classify(subject ?? '', body ?? '');
      expect(r.category).toBe('OTHER');
      expect(r.confidence).toBeGreaterThanOrEqual(0.4);
      expect(r.confidence).toBeLessThanOrEqual(0.5);
      expect(r.rationale).toMatch(/no category-specific evidence/);
    }
  });

  it('is deterministic', () => {
    const body = 'I get error 500 when I sign in, also my invoice is wrong';
    expect(classify('Login broken', body)).toEqual(classify('Login broken', body));
  });
});

describe('classifyTicketLexicon: rationale', () => {
  it('names matched terms with their field and the runner-up', () => {
    const r = classify('Refund', 'charged twice for my subscription, app error');
    expect(r.rationale).toMatch(/^BILLING: matched /);
    expect(r.rationale).toContain('"refund" (subject)');
    expect(r.rationale).toContain('"charged twice" (body)');
    expect(r.rationale).toContain('"subscription" (body)');
    expect(r.rationale).toContain('runner-up TECHNICAL');
  });

  it('never echoes an email address or other input text', () => {
    const body = `Hi, I am locked out of my account. My password reset goes to
      jane.doe+billing@example.com. Call me at 555-0199.`;
    const r = classify('Help', body);
    expect(r.category).toBe('ACCOUNT');
    for (const leak of ['@', 'jane', 'example.com', '555']) expect(r.rationale).not.toContain(leak);
    expect(r.rationale).not.toMatch(/billing/i); // the address is stripped before matching
    expect(r.rationale).toContain('"locked out"');
    expect(r.rationale).toContain('"password"');
  });

  it('stays under 300 characters', () => {
    const everything = ALL.map(([, b]) => b).join(' ');
    for (const [subject, body] of [['Everything', everything] as Case, ...ALL]) {
      expect(classify(subject, body).rationale.length).toBeLessThan(300);
    }
  });
});
