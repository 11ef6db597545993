// Placeholder until the handler lands (being written now).
export const handler = async (): Promise<never> => {
  throw new Error('not implemented');
};
