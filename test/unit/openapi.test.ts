import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { contracts } from '../../functions/core/http/operation-contracts.ts';
import { openApiDocument } from '../../functions/core/http/openapi.ts';
import { operations } from '../../functions/routes.ts';

const document = openApiDocument('http://localhost:3000');

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(document));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('has every route of the operation table, and nothing else', () => {
    const documented = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual(operations.map((o) => `${o.method} ${o.path}`).sort());
    expect(Object.keys(contracts).sort()).toEqual(operations.map((o) => o.operationId).sort());
  });

  it('gives protected routes the three credential schemes and 401/403, public ones none', () => {
    for (const operation of operations) {
      const documented = (document.paths[operation.path] as Record<string, any>)[operation.method.toLowerCase()];
      if (operation.auth === 'protected') {
        expect(documented.security).toEqual([{ bearer: [] }, { accessToken: [] }, { authToken: [] }]);
        expect(Object.keys(documented.responses)).toEqual(expect.arrayContaining(['401', '403']));
        // The 401's challenge, each of its three forms (RFC 6750 §3).
        const challenge = documented.responses['401'].headers['WWW-Authenticate'].description;
        expect(challenge).toContain('`Bearer` when the request carried no credential');
        expect(challenge).toContain('error_description="The credential expired"` when it expired');
        expect(challenge).toContain('error_description="A valid credential is required"` for any other refusal');
      } else {
        expect(documented.security).toEqual([]);
      }
      expect(Object.keys(documented.responses)).toEqual(expect.arrayContaining(['400', '500', '503']));
    }
  });

  it("lists each error of a route's contract under its status", () => {
    const login = (document.paths['/auth/login'] as Record<string, any>).post;
    expect(login.responses['401'].content['application/json'].schema.allOf[1].properties.error.enum).toEqual(['invalid_credentials']);
    expect(login.responses['429'].content['application/json'].schema.allOf[1].properties.error.enum.sort()).toEqual([
      'account_locked',
      'rate_limit_exceeded',
    ]);
    expect(login.responses['429'].headers['Retry-After']).toBeDefined();
    // Each alternative of the login body refuses unknown fields, as the route does.
    for (const alternative of login.requestBody.content['application/json'].schema.oneOf)
      expect(alternative.additionalProperties).toBe(false);
  });

  it('declares the security schemes of API.md', () => {
    expect(document.components.securitySchemes).toEqual({
      bearer: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
      accessToken: expect.objectContaining({ type: 'apiKey', in: 'header', name: 'X-Access-Token' }),
      authToken: expect.objectContaining({ type: 'apiKey', in: 'header', name: 'X-Auth-Token' }),
    });
  });
});
