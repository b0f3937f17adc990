/** Structured JSON logs. Never pass a password, token or code to it. */
import { Logger } from '@aws-lambda-powertools/logger';

export const logger = new Logger({ serviceName: 'serverless-auth' });
