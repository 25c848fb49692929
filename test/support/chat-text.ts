/**
 * A chat message long enough that the mock upstream's echo passes the stream window (64
 * characters) well before a fault cuts it, and the whole answer the mock gives for it.
 */
export const LONG_MESSAGE =
  'Please explain, step by step, how the refund for order 4471 will reach my account, ' +
  'which bank days count, what happens if the card has expired in the meantime, and who ' +
  'I should write to if nothing has arrived after ten days. I would also like to know whether ' +
  'the shipping fee is refunded with the rest of the order or separately.';

export const LONG_ANSWER = `This is a mock completion for: ${LONG_MESSAGE}`;
