import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Token } from 'aws-cdk-lib';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';

/**
 * How the app looks: its name, logo and accent colour (written to `config.json`; `<bedrock-chat-app>` shows them).
 */
export interface FrontendBranding {
  /**
   * The application's name: the app's top bar and the page title. 1 to 64 characters.
   *
   * @default "Bedrock Chat"
   */
  readonly appName?: string;

  /**
   * The logo at the top of the app's sidebar: a local image file (PNG, SVG, JPEG, WebP, GIF or ICO, at most 1 MB),
   * deployed with the site under `/branding/` and served by it, or an `https://` URL (its origin is added to the
   * Content-Security-Policy's `img-src`).
   *
   * @default - no logo
   */
  readonly logo?: string;

  /**
   * The accent colour of buttons, links and focus rings, `#rrggbb` (the text on it is black or white, whichever
   * contrasts more).
   *
   * @default - the built-in blue (#0b5cad light, #4493f8 dark)
   */
  readonly accentColor?: string;
}

const IMAGE = /\.(png|svg|jpe?g|webp|gif|ico)$/i;
const MAX_LOGO_BYTES = 1024 * 1024;
export const ACCENT_COLOR = /^#[0-9a-fA-F]{6}$/;

/** The checked branding: the config.json fields, the logo file to deploy, and the image origin for the CSP. */
export interface ResolvedBranding {
  readonly config: { appName?: string; logoUrl?: string; accentColor?: string };
  readonly source?: s3deploy.ISource;
  readonly imageOrigin?: string;
}

/** Validates the branding props (messages say what to change) and prepares the logo's deployment. */
export function resolveBranding(branding: FrontendBranding | undefined): ResolvedBranding {
  if (!branding) return { config: {} };
  const { appName, logo, accentColor } = branding;
  if (appName !== undefined && !Token.isUnresolved(appName) && (appName.trim().length < 1 || appName.length > 64)) {
    throw new Error(`BedrockChatFrontend: branding.appName must have 1 to 64 characters (got ${appName.length})`);
  }
  if (accentColor !== undefined && !Token.isUnresolved(accentColor) && !ACCENT_COLOR.test(accentColor)) {
    throw new Error(`BedrockChatFrontend: branding.accentColor '${accentColor}' is not a colour #rrggbb (e.g. '#0b5cad')`);
  }
  const config = { ...(appName ? { appName } : {}), ...(accentColor ? { accentColor } : {}) };
  if (logo === undefined) return { config };
  if (/^https:\/\//.test(logo)) {
    let origin: string;
    try {
      origin = new URL(logo).origin;
    } catch {
      throw new Error(`BedrockChatFrontend: branding.logo '${logo}' is not a valid URL`);
    }
    return { config: { ...config, logoUrl: logo }, imageOrigin: origin };
  }
  if (/^[a-z]+:/i.test(logo)) throw new Error(`BedrockChatFrontend: branding.logo must be a local file or an https:// URL (got '${logo}')`);
  const file = path.resolve(logo);
  if (!IMAGE.test(file)) throw new Error(`BedrockChatFrontend: branding.logo '${logo}' must be a .png, .svg, .jpg, .jpeg, .webp, .gif or .ico file`);
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new Error(`BedrockChatFrontend: branding.logo file '${logo}' does not exist`);
  if (fs.statSync(file).size > MAX_LOGO_BYTES) throw new Error(`BedrockChatFrontend: branding.logo '${logo}' is larger than 1 MB`);
  // The file alone, under branding/ in the site: a folder of its own becomes the asset (hashed by content).
  const name = `logo${path.extname(file).toLowerCase()}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bedrock-chat-branding-'));
  fs.mkdirSync(path.join(dir, 'branding'));
  fs.copyFileSync(file, path.join(dir, 'branding', name));
  return { config: { ...config, logoUrl: `/branding/${name}` }, source: s3deploy.Source.asset(dir) };
}
