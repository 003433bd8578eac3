import { z } from 'zod';
import { defineTool } from '../tool.ts';

/** The date and time now, in the sender's own time zone unless the model asks for another. */
export const currentTime = defineTool({
  name: 'current_time',
  description: "Current date and time (the person's own time zone unless another is given).",
  risk: 'read',
  group: 'builtin',
  parameters: z.object({ timezone: z.string().optional().describe('IANA zone, e.g. Europe/Berlin') }),
  async run({ timezone }, context) {
    const zone = timezone || context.timeZone;
    try {
      const formatted = new Intl.DateTimeFormat('en-GB', { dateStyle: 'full', timeStyle: 'long', timeZone: zone }).format(context.now);
      return `${formatted} (${context.now.toISOString()})`;
    } catch {
      return `Unknown time zone "${timezone}". Use an IANA name such as Europe/Berlin. UTC now: ${context.now.toISOString()}`;
    }
  },
});
