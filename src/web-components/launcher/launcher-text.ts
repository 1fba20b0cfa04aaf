/**
 * The few texts of the entry script (`bedrock-chat.js`), which shows the launcher button before Lit and the
 * translations load: kept here, in every locale, so the button is labelled in the page's language at no cost.
 * Everything else is translated through @lit/localize (src/web-components/xliff).
 */
import type { Locale } from '../shared/locales.js';

export interface LauncherText {
  /** The launcher button's label. */
  readonly open: string;
  /** The panel (dialog) label. */
  readonly chat: string;
  readonly loading: string;
  /** The full chunk failed to load. */
  readonly failed: string;
}

export const LAUNCHER_TEXT: Readonly<Record<Locale, LauncherText>> = {
  'en': {
    open: 'Open chat',
    chat: 'Chat',
    loading: 'Loading…',
    failed: 'The chat could not be loaded. Check your connection and try again.',
  },
  'de': {
    open: 'Chat öffnen',
    chat: 'Chat',
    loading: 'Wird geladen…',
    failed: 'Der Chat konnte nicht geladen werden. Prüfen Sie Ihre Verbindung und versuchen Sie es erneut.',
  },
  'es': {
    open: 'Abrir chat',
    chat: 'Chat',
    loading: 'Cargando…',
    failed: 'No se pudo cargar el chat. Comprueba tu conexión e inténtalo de nuevo.',
  },
  'fr': {
    open: 'Ouvrir le chat',
    chat: 'Chat',
    loading: 'Chargement…',
    failed: 'Le chat n’a pas pu être chargé. Vérifiez votre connexion et réessayez.',
  },
  'id': {
    open: 'Buka obrolan',
    chat: 'Obrolan',
    loading: 'Memuat…',
    failed: 'Obrolan tidak dapat dimuat. Periksa koneksi Anda dan coba lagi.',
  },
  'it': {
    open: 'Apri la chat',
    chat: 'Chat',
    loading: 'Caricamento…',
    failed: 'Impossibile caricare la chat. Controlla la connessione e riprova.',
  },
  'ja': {
    open: 'チャットを開く',
    chat: 'チャット',
    loading: '読み込み中…',
    failed: 'チャットを読み込めませんでした。接続を確認して、もう一度お試しください。',
  },
  'ko': {
    open: '채팅 열기',
    chat: '채팅',
    loading: '불러오는 중…',
    failed: '채팅을 불러올 수 없습니다. 연결을 확인한 후 다시 시도하세요.',
  },
  'ms': {
    open: 'Buka sembang',
    chat: 'Sembang',
    loading: 'Memuatkan…',
    failed: 'Sembang tidak dapat dimuatkan. Semak sambungan anda dan cuba lagi.',
  },
  'nb': {
    open: 'Åpne chat',
    chat: 'Chat',
    loading: 'Laster inn…',
    failed: 'Chatten kunne ikke lastes inn. Sjekk tilkoblingen og prøv igjen.',
  },
  'pl': {
    open: 'Otwórz czat',
    chat: 'Czat',
    loading: 'Ładowanie…',
    failed: 'Nie udało się załadować czatu. Sprawdź połączenie i spróbuj ponownie.',
  },
  'pt-BR': {
    open: 'Abrir chat',
    chat: 'Chat',
    loading: 'Carregando…',
    failed: 'Não foi possível carregar o chat. Verifique sua conexão e tente novamente.',
  },
  'th': {
    open: 'เปิดแชท',
    chat: 'แชท',
    loading: 'กำลังโหลด…',
    failed: 'ไม่สามารถโหลดแชทได้ ตรวจสอบการเชื่อมต่อแล้วลองอีกครั้ง',
  },
  'vi': {
    open: 'Mở trò chuyện',
    chat: 'Trò chuyện',
    loading: 'Đang tải…',
    failed: 'Không thể tải cuộc trò chuyện. Hãy kiểm tra kết nối và thử lại.',
  },
  'zh-Hans': {
    open: '打开聊天',
    chat: '聊天',
    loading: '正在加载…',
    failed: '无法加载聊天。请检查网络连接后重试。',
  },
  'zh-Hant': {
    open: '開啟聊天',
    chat: '聊天',
    loading: '正在載入…',
    failed: '無法載入聊天。請檢查網路連線後再試一次。',
  },
};
