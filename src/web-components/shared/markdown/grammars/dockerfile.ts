import type { Grammar } from '../highlight.js';

/** Dockerfiles: instructions are keywords. */
const grammar: Grammar = {
  rules: [
    ['c', String.raw`(?<![^\n])[ \t]*#[^\n]*`],
    ['k', String.raw`(?<![^\n])[ \t]*(?:ADD|ARG|CMD|COPY|ENTRYPOINT|ENV|EXPOSE|FROM|HEALTHCHECK|LABEL|MAINTAINER|ONBUILD|RUN|SHELL|STOPSIGNAL|USER|VOLUME|WORKDIR)\b|\bAS\b`],
    'dq',
    'sq',
    ['n', String.raw`\$(?:\{[^}\n]*\}|\w+)`],
    'number',
    ['word', '(?!)'],
  ],
};
export default grammar;
