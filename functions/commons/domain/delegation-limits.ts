/** A delegation with less than this left is not used: session sigs built on it would die with it. */
export const DELEGATION_MIN_REMAINING_SECONDS = 60;
