/**
 * Mail in AWS: an SES configuration set that every email goes through, whose
 * event destination sends bounces and complaints to an SNS topic (encrypted
 * with a key of its own, which SES may use only for this configuration set),
 * and the function that marks the addresses they name
 * (functions/mail-feedback.ts). Functions that send mail may send as the
 * sender's identity, through this configuration set, and nothing else.
 */
import { Stack } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { ConfigurationSet, EmailSendingEvent, EventDestination, SuppressionReasons } from 'aws-cdk-lib/aws-ses';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { LambdaSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { AuthFunction } from './auth-function.ts';
import { grantKeyUse, topicKey } from './encryption.ts';
import { deadLetterQueue } from './dead-letters.ts';

export interface MailProps {
  /** The verified SES identity (domain or address) mail is sent as. */
  readonly identity: string;
  /**
   * The stack's customer-managed key, whose policy lets SES use it: the topic is encrypted with it.
   * @default - a key of the topic's own
   */
  readonly encryptionKey?: IKey | undefined;
}

export class Mail extends Construct {
  readonly configurationSet: ConfigurationSet;
  /** Where SES publishes the bounces and complaints of mail sent through the configuration set. */
  readonly feedbackTopic: Topic;
  readonly identityArn: string;
  readonly configurationSetArn: string;
  /**
   * Notifications that could not be applied, kept 14 days to be seen and
   * replayed: those SNS could not deliver, and those the function failed on
   * after Lambda's two retries.
   */
  readonly feedbackDeadLetters: Queue;
  private readonly encryptionKey: IKey | undefined;

  constructor(scope: Construct, id: string, props: MailProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.encryptionKey = props.encryptionKey;
    this.configurationSet = new ConfigurationSet(this, 'ConfigurationSet', {
      // SES's own suppression list keeps the addresses too, whatever the account's setting.
      suppressionReasons: SuppressionReasons.BOUNCES_AND_COMPLAINTS,
      reputationMetrics: true,
    });
    this.identityArn = stack.formatArn({ service: 'ses', resource: 'identity', resourceName: props.identity });
    this.configurationSetArn = stack.formatArn({
      service: 'ses',
      resource: 'configuration-set',
      resourceName: this.configurationSet.configurationSetName,
    });

    this.feedbackTopic = new Topic(this, 'FeedbackTopic', {
      displayName: 'SES bounces and complaints of the auth service',
      masterKey: props.encryptionKey ?? this.createTopicKey(),
      enforceSSL: true,
    });
    // Only what marks an address: deliveries, opens and the rest are not the service's business.
    this.configurationSet.addEventDestination('BouncesAndComplaints', {
      destination: EventDestination.snsTopic(this.feedbackTopic),
      events: [EmailSendingEvent.BOUNCE, EmailSendingEvent.COMPLAINT],
    });
    this.feedbackDeadLetters = deadLetterQueue(this, 'FeedbackDeadLetters', 'the mail feedback subscription and function');
  }

  /** SES publishes to an encrypted topic only with a customer managed key whose policy lets it: one for this configuration set alone. */
  private createTopicKey(): IKey {
    return topicKey(this, 'FeedbackKey', 'Encrypts the SES bounce and complaint notifications of the auth service', 'ses.amazonaws.com', {
      StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
      ArnLike: { 'aws:SourceArn': this.configurationSetArn },
    });
  }

  /** Lets `fn` send as the identity through the configuration set (SES checks both resources). */
  grantSend(fn: AuthFunction): void {
    fn.addToRolePolicy(new PolicyStatement({ actions: ['ses:SendEmail'], resources: [this.identityArn, this.configurationSetArn] }));
  }

  /**
   * Delivers every bounce and complaint notification to `fn`: what SNS cannot
   * deliver goes to `feedbackDeadLetters`, as does what the function failed on
   * after Lambda's two retries (the same queue is its own dead-letter queue).
   */
  deliverFeedbackTo(fn: AuthFunction): void {
    this.feedbackTopic.addSubscription(new LambdaSubscription(fn.lambda, { deadLetterQueue: this.feedbackDeadLetters }));
    // Under the stack's key the queue is encrypted with it: SNS and the function then write with it.
    grantKeyUse(this.encryptionKey, fn.role, 'encryptDecrypt');
    this.encryptionKey?.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('sns.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        // The account, not the topic: the topic's ARN in its own key's policy would be a cycle.
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
  }
}
