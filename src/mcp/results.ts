/**
 * What the model gets back from an MCP tool: its text, a one-line description of anything that
 * is not text (an image, audio, a file), structured content as JSON when there is no text, all
 * cut at a configured length with a note saying so — a small model drowns in a 100 kB listing,
 * and every character costs prompt time on a CPU. A result the server marks as an error throws,
 * so the turn loop audits it as one.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

type Content = CallToolResult['content'][number];

const size = (base64: string) => {
  const bytes = Math.floor((base64.length * 3) / 4);
  return bytes < 1024 ? `${bytes} bytes` : `${Math.round(bytes / 102.4) / 10} kB`;
};

function describe(part: Content): string {
  switch (part.type) {
    case 'text':
      return part.text;
    case 'image':
      return `[image, ${part.mimeType}, ${size(part.data)}: not shown]`;
    case 'audio':
      return `[audio, ${part.mimeType}, ${size(part.data)}: not shown]`;
    case 'resource_link':
      return `[link: ${part.name}${part.description ? ` (${part.description})` : ''} ${part.uri}]`;
    case 'resource': {
      const resource = part.resource;
      if ('text' in resource && typeof resource.text === 'string') return `[file ${resource.uri}]\n${resource.text}`;
      const blob = 'blob' in resource && typeof resource.blob === 'string' ? resource.blob : '';
      return `[file ${resource.uri}${resource.mimeType ? `, ${resource.mimeType}` : ''}, ${size(blob)}: not shown]`;
    }
    default:
      return `[${(part as { type: string }).type} content: not shown]`;
  }
}

/** The result as text for the model, at most `maxChars` long plus the note that it was cut. */
export function resultText(result: CallToolResult | { toolResult: unknown }, maxChars: number): string {
  let text: string;
  if ('toolResult' in result) text = JSON.stringify(result.toolResult); // servers from before 2024-11
  else {
    const parts = (result.content ?? []).map(describe);
    text = parts.join('\n');
    if (!text.trim() && result.structuredContent) text = JSON.stringify(result.structuredContent);
  }
  if (text.length > maxChars) text = `${text.slice(0, maxChars)}\n[Output cut: showing ${maxChars} of ${text.length} characters.]`;
  if ('isError' in result && result.isError) throw new Error(text || 'the tool reported an error without saying which');
  return text || '(the tool returned nothing)';
}
