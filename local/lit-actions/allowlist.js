// Example Lit Action for `npm start`: authenticates a session only for a user on the allowlist.
// The nodes run it with the request's jsParams as globals (here `user`) and sign the session key
// only if the response contains "true". Its IPFS CID is what the PKP permits and what the caller
// policy allows; change a character and it is another action, with another CID.
(async () => {
  const allowed = ['alice', 'bob'];
  const ok = typeof user === 'string' && allowed.includes(user);
  Lit.Actions.setResponse({ response: JSON.stringify(ok) });
})();
