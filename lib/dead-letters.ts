/**
 * A dead-letter queue: where what an asynchronous path could not deliver or
 * apply after its retries is kept for 14 days, to be seen (an alarm watches
 * each) and replayed, rather than lost.
 */
import { Duration, Validations } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/** `of` names what the queue is the dead-letter queue of, for the acknowledgments' reason. */
export function deadLetterQueue(scope: Construct, id: string, of: string): Queue {
  const queue = new Queue(scope, id, {
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  for (const rule of ['AwsSolutions-SQS3', 'Serverless-SQSRedrivePolicy']) {
    Validations.of(queue).acknowledge({
      id: rule,
      reason: `This queue is itself the dead-letter queue of ${of}; a dead-letter queue of its own would only move the same messages again.`,
    });
  }
  return queue;
}
