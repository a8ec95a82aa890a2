import type { FastifyRequest } from 'fastify';
import type { Caller } from './api-keys';
import { callerOf } from './request-caller';

describe('callerOf', () => {
  it('gives the caller the authentication hook set', () => {
    const caller: Caller = { id: 'key:a', authenticated: true, tenant: 'a', admin: false };
    expect(callerOf({ caller } as FastifyRequest)).toBe(caller);
  });

  it('fails loudly on a route the hook did not run for', () => {
    expect(() => callerOf({} as FastifyRequest)).toThrow('the authentication hook did not run');
  });
});
