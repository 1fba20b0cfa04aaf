import type { DocumentFormat, ImageFormat } from './protocol.js';

/** The files the chat can attach: each format's MIME type, and other extensions for them. */
export const IMAGE_TYPES: Record<ImageFormat, string> = { png: 'image/png', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp' };
export const DOCUMENT_TYPES: Record<DocumentFormat, string> = {
  pdf: 'application/pdf',
  csv: 'text/csv',
  doc: 'application/msword',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xls: 'application/vnd.ms-excel',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  html: 'text/html',
  txt: 'text/plain',
  md: 'text/markdown',
};
export const ALIASES: Record<string, string> = { jpg: 'jpeg', htm: 'html', markdown: 'md' };
export const ACCEPT = [...Object.keys(IMAGE_TYPES), ...Object.keys(DOCUMENT_TYPES), ...Object.keys(ALIASES)].map((e) => `.${e}`).join(',');
