/** What the middleware stack learns about a request before the handler runs. */
import type { Context } from 'aws-lambda';
import type { Principal } from '../flows/authorize.ts';

export type RouteContext = Context & {
  requestId?: string;
  principal?: Principal;
  /** The request came through the stack's CloudFront (it carried the origin secret). */
  viaEdge?: boolean;
};
