/**
 * What stands between clients and the HTTP API; both parts optional.
 *
 * - The API's own domain (custom-domain.ts). The execute-api endpoint is then
 *   off, and tokens are issued by `https://<domain>`.
 * - A CloudFront distribution with an AWS WAF web ACL (web-acl.ts): no
 *   caching, HTTPS only, TLS 1.2 or newer, access logs in S3. It adds a
 *   secret of the deployment to every request it sends to the API
 *   (`X-Origin-Verify`, from a generated Secrets Manager secret that the
 *   template names only by reference) and the viewer's address
 *   (`CloudFront-Viewer-Address`). The functions refuse a request without the
 *   secret and believe the viewer address of one with it
 *   (functions/core/http/edge.ts). With the domain too, CloudFront serves
 *   the domain and reaches the API through the API's domain, forwarding the
 *   viewer's Host so that API Gateway finds it; without it, CloudFront serves
 *   its own `*.cloudfront.net` name in front of the execute-api endpoint.
 */
import { CfnOutput, Duration, Fn, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { DomainName, HttpApi, HttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  HttpVersion,
  OriginProtocolPolicy,
  OriginRequestPolicy,
  OriginSslPolicy,
  SecurityPolicyProtocol,
  SSLMethod,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { HttpOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { CfnWebACL } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import type { AuthFunction } from './auth-function.ts';
import { createCustomDomain, regionOfCertificate } from './custom-domain.ts';
import { grantKeyUse } from './encryption.ts';
import { createWebAcl } from './web-acl.ts';

export interface CloudFrontOptions {
  /**
   * An existing web ACL of CLOUDFRONT scope (made in us-east-1) to put in
   * front of the distribution instead of the stack's own.
   * @default - the stack makes one (web-acl.ts), which needs the stack in us-east-1
   */
  readonly webAclArn?: string;
  /**
   * Requests one viewer IP may send to login, forgot and reset together in
   * five minutes before the stack's web ACL answers 429.
   * @default 100
   */
  readonly sensitiveRateLimit?: number;
  /**
   * The certificate CloudFront serves for `domainName`, in us-east-1.
   * @default - the domain's `certificateArn`, which then must be in us-east-1
   */
  readonly certificateArn?: string;
}

export interface EdgeProps {
  readonly httpApi: HttpApi;
  readonly stage: HttpStage;
  readonly logRetention: RetentionDays;
  /** The API's own domain, e.g. `auth.example.com`. */
  readonly domainName?: string | undefined;
  /** Its ACM certificate, in the stack's region. */
  readonly certificateArn?: string | undefined;
  readonly cloudFront?: CloudFrontOptions | undefined;
  /** The stack's key, when it has one: the origin secret is encrypted with it, so the functions that read it use it too. */
  readonly encryptionKey?: IKey | undefined;
}

/** The request header that carries the origin secret (API Gateway passes header names lower-cased). */
export const ORIGIN_VERIFY_HEADER = 'X-Origin-Verify';

/** Route 53's hosted zone of every CloudFront distribution, for an alias record. */
const CLOUDFRONT_HOSTED_ZONE_ID = 'Z2FDTNDATAQYW2';

export class ApiEdge extends Construct {
  /** Where clients call the API and who issues its tokens; `undefined` when that is the execute-api endpoint. */
  readonly publicUrl: string | undefined;
  readonly domain: DomainName | undefined;
  readonly distribution: Distribution | undefined;
  /** The value CloudFront adds as `X-Origin-Verify`, generated at deployment. */
  readonly originSecret: Secret | undefined;
  /** The stack's own web ACL (none when `webAclArn` names one made elsewhere). */
  readonly webAcl: CfnWebACL | undefined;
  private readonly encryptionKey: IKey | undefined;

  constructor(scope: Construct, id: string, props: EdgeProps) {
    super(scope, id);
    const { domainName, certificateArn, cloudFront } = props;
    this.encryptionKey = props.encryptionKey;
    if (Boolean(domainName) !== Boolean(certificateArn)) throw new Error('domainName and certificateArn go together: set both or neither');
    if (domainName && certificateArn) {
      this.domain = createCustomDomain(this, { domainName, certificateArn, httpApi: props.httpApi, stage: props.stage });
    }
    if (cloudFront) {
      this.originSecret = new Secret(this, 'OriginSecret', {
        description: 'The X-Origin-Verify value CloudFront adds to every request to the API; generated at deployment',
        generateSecretString: { excludePunctuation: true, passwordLength: 64 },
      });
      Validations.of(this.originSecret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'CloudFront reads the value only when the distribution is deployed, so a scheduled rotation would lock CloudFront out until the next deployment; replace it by hand and deploy (the functions pick it up within five minutes).',
      });
      this.webAcl = cloudFront.webAclArn ? undefined : createWebAcl(this, { sensitiveRateLimit: cloudFront.sensitiveRateLimit ?? 100 });
      this.distribution = this.createDistribution(props, cloudFront, this.originSecret);
    }
    const host = domainName ?? this.distribution?.distributionDomainName;
    this.publicUrl = host ? `https://${host}` : undefined;
    this.addOutputs();
  }

  /** Behind CloudFront, tells `fn` where the origin secret is and lets it read it; otherwise nothing. */
  bindOriginSecret(fn: AuthFunction): void {
    if (!this.originSecret) return;
    fn.addEnvironment({ ORIGIN_VERIFY_SECRET_ARN: this.originSecret.secretArn });
    fn.addToRolePolicy(new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [this.originSecret.secretArn] }));
    grantKeyUse(this.encryptionKey, fn.role, 'decrypt');
  }

  private createDistribution(props: EdgeProps, options: CloudFrontOptions, originSecret: Secret): Distribution {
    const certificateArn = options.certificateArn ?? props.certificateArn;
    const certificateRegion = certificateArn ? regionOfCertificate(certificateArn) : undefined;
    if (certificateRegion && certificateRegion !== 'us-east-1') {
      throw new Error(
        `CloudFront takes certificates from us-east-1 only; ${certificateArn} is in ${certificateRegion}: pass one from there as cloudFrontCertificateArn`,
      );
    }
    const origin = new HttpOrigin(
      // Through the API's domain when it has one (the execute-api endpoint is off), else that endpoint.
      this.domain ? this.domain.regionalDomainName : Fn.parseDomainName(props.httpApi.apiEndpoint),
      {
        protocolPolicy: OriginProtocolPolicy.HTTPS_ONLY,
        originSslProtocols: [OriginSslPolicy.TLS_V1_2],
        // A dynamic reference: CloudFormation resolves it at deployment; the template holds no value.
        customHeaders: { [ORIGIN_VERIFY_HEADER]: originSecret.secretValue.unsafeUnwrap() },
      },
    );
    const logs = this.createLogBucket(props.logRetention);
    const distribution = new Distribution(this, 'Distribution', {
      comment: 'Serverless auth API',
      defaultBehavior: {
        origin,
        allowedMethods: AllowedMethods.ALLOW_ALL,
        viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
        // Every answer is per caller (tokens, users) or already says how long to keep it: CloudFront keeps none.
        cachePolicy: CachePolicy.CACHING_DISABLED,
        // Both forward every viewer header and CloudFront's own, CloudFront-Viewer-Address among them. The
        // API's domain finds its mapping by the viewer's Host; the execute-api endpoint needs its own.
        originRequestPolicy: this.domain
          ? OriginRequestPolicy.ALL_VIEWER_AND_CLOUDFRONT_2022
          : OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      },
      ...(props.domainName && certificateArn
        ? {
            domainNames: [props.domainName],
            certificate: Certificate.fromCertificateArn(this, 'DistributionCertificate', certificateArn),
            minimumProtocolVersion: SecurityPolicyProtocol.TLS_V1_2_2021,
            sslSupportMethod: SSLMethod.SNI,
          }
        : {}),
      httpVersion: HttpVersion.HTTP2_AND_3,
      webAclId: options.webAclArn ?? this.webAcl?.attrArn,
      enableLogging: true,
      logBucket: logs,
      logFilePrefix: 'cloudfront/',
    });
    Validations.of(distribution).acknowledge({
      id: 'AwsSolutions-CFR1',
      reason:
        'Clients (POS terminals, partner back ends, apps) call from wherever they are; where they may come from is a business rule to add to the web ACL, not a default.',
    });
    if (!props.domainName) {
      Validations.of(distribution).acknowledge({
        id: 'AwsSolutions-CFR4',
        reason:
          'Without domainName CloudFront serves its own *.cloudfront.net certificate, whose security policy cannot be chosen; set domainName and certificateArn for TLS 1.2 as the minimum.',
      });
    }
    return distribution;
  }

  /** CloudFront's access logs (standard logging needs ACLs on the bucket), kept as long as the other logs. */
  private createLogBucket(retention: RetentionDays): Bucket {
    const bucket = new Bucket(this, 'AccessLogs', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: retention === RetentionDays.INFINITE ? [] : [{ expiration: Duration.days(retention) }],
      // Logs outlive the stack, as audit material does; the bucket is emptied by its lifecycle rule.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        "This bucket holds CloudFront's access logs; logging the access to it would take another bucket that logs nothing of the API.",
    });
    return bucket;
  }

  private addOutputs(): void {
    const stack = Stack.of(this);
    if (this.domain) new CfnOutput(stack, 'DomainUrl', { value: `https://${this.domain.name}`, description: 'The API at its own domain' });
    if (this.distribution) {
      new CfnOutput(stack, 'DistributionDomainName', {
        value: this.distribution.distributionDomainName,
        description: 'CloudFront in front of the API',
      });
    }
    if (!this.domain) return;
    // The record that makes the domain reach the API: CloudFront when it is in front, else the API's regional domain.
    new CfnOutput(stack, 'DnsRecordTarget', {
      value: this.distribution ? this.distribution.distributionDomainName : this.domain.regionalDomainName,
      description: `CNAME (or Route 53 alias) target of ${this.domain.name}`,
    });
    new CfnOutput(stack, 'DnsRecordHostedZoneId', {
      value: this.distribution ? CLOUDFRONT_HOSTED_ZONE_ID : this.domain.regionalHostedZoneId,
      description: 'Hosted zone of the target, for a Route 53 alias record',
    });
  }
}
