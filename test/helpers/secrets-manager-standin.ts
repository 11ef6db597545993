/**
 * A loopback Secrets Manager that answers `GetSecretValue` over the AWS JSON protocol, so the
 * real AWS SDK client and Powertools' SecretsProvider run unchanged (through
 * AWS_ENDPOINT_URL_SECRETS_MANAGER). Counts reads so a test can see Powertools' cache working.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SecretsManagerStandIn {
  endpoint: string;
  reads: () => number;
  set(name: string, value: string): void;
  stop(): Promise<void>;
}

export async function startSecretsManagerStandIn(secrets: Record<string, string>): Promise<SecretsManagerStandIn> {
  const values = new Map(Object.entries(secrets));
  let reads = 0;
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
    req.on('end', () => {
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(body));
      };
      if (req.headers['x-amz-target'] !== 'secretsmanager.GetSecretValue') return reply(400, { __type: 'UnknownOperationException', message: 'not supported' });
      const { SecretId } = JSON.parse(raw || '{}') as { SecretId?: string };
      const value = SecretId === undefined ? undefined : values.get(SecretId);
      if (value === undefined) return reply(400, { __type: 'ResourceNotFoundException', message: 'Secrets Manager can’t find the specified secret.' });
      reads++;
      reply(200, {
        ARN: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${SecretId}-AbCdEf`,
        Name: SecretId,
        SecretString: value,
        VersionId: 'v1',
        VersionStages: ['AWSCURRENT'],
        CreatedDate: Date.now() / 1000,
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    reads: () => reads,
    set: (name, value) => values.set(name, value),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
