/** Condition expressions shared by the optimistic-lock writes (scope save, delegation put). */
import type { PutItemCommandInput } from '@aws-sdk/client-dynamodb';
import { n } from './attributes';
import { PK } from './keys';

export type WriteCondition = Pick<PutItemCommandInput, 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'>;

/** The item must not exist yet (expected undefined) or must still carry `version = expected`. */
export function versionCondition(expected: number | undefined): WriteCondition {
  if (expected === undefined) return { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': PK } };
  return {
    ConditionExpression: '#version = :expected',
    ExpressionAttributeNames: { '#version': 'version' },
    ExpressionAttributeValues: { ':expected': n(expected) },
  };
}
