/**
 * The API's own domain (`auth.example.com`): an API Gateway regional domain
 * name mapped to the `$default` stage. The stack turns the execute-api
 * endpoint off when it has one, so the domain (and whatever stands in front
 * of it) is the only way in.
 */
import { Stack, Token } from 'aws-cdk-lib';
import { ApiMapping, DomainName, EndpointType, type HttpApi, type HttpStage, SecurityPolicy } from 'aws-cdk-lib/aws-apigatewayv2';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import type { Construct } from 'constructs';

export interface CustomDomainProps {
  /** `auth.example.com`. */
  readonly domainName: string;
  /** An ACM certificate for it, in the stack's region (API Gateway's regional domains take no other). */
  readonly certificateArn: string;
  readonly httpApi: HttpApi;
  readonly stage: HttpStage;
}

const HOST_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/** The region in an ACM certificate ARN, when the ARN is a plain string. */
export function regionOfCertificate(arn: string): string | undefined {
  if (Token.isUnresolved(arn)) return undefined;
  const match = /^arn:aws[a-z-]*:acm:([a-z0-9-]+):\d{12}:certificate\/[\w-]+$/.exec(arn);
  if (!match)
    throw new Error(`certificateArn ${arn} is not the ARN of an ACM certificate (arn:aws:acm:<region>:<account>:certificate/<id>)`);
  return match[1];
}

export function createCustomDomain(scope: Construct, props: CustomDomainProps): DomainName {
  if (!HOST_NAME.test(props.domainName))
    throw new Error(`domainName ${props.domainName} is not a lower-case host name such as auth.example.com`);
  const certificateRegion = regionOfCertificate(props.certificateArn);
  const region = Stack.of(scope).region;
  if (certificateRegion && !Token.isUnresolved(region) && certificateRegion !== region) {
    throw new Error(`The API's certificate must be in the stack's region, ${region}; ${props.certificateArn} is in ${certificateRegion}`);
  }
  const domain = new DomainName(scope, 'ApiDomain', {
    domainName: props.domainName,
    certificate: Certificate.fromCertificateArn(scope, 'ApiDomainCertificate', props.certificateArn),
    endpointType: EndpointType.REGIONAL,
    securityPolicy: SecurityPolicy.TLS_1_2,
  });
  new ApiMapping(scope, 'ApiDomainMapping', { api: props.httpApi, domainName: domain, stage: props.stage });
  return domain;
}
