import { z } from 'zod';
import { defineTool } from '../tool.ts';

export const currentTime = defineTool({
  name: 'current_time',
  description: 'Current date and time, optionally in an IANA time zone.',
  risk: 'read',
  parameters: z.object({ timezone: z.string().optional().describe('e.g. Europe/Berlin') }),
  async run({ timezone }) {
    const now = new Date();
    try {
      const formatted = new Intl.DateTimeFormat('en-GB', { dateStyle: 'full', timeStyle: 'long', timeZone: timezone }).format(now);
      return `${formatted} (${now.toISOString()})`;
    } catch {
      return `Unknown time zone "${timezone}". Use an IANA name such as Europe/Berlin. UTC now: ${now.toISOString()}`;
    }
  },
});
