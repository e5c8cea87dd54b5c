// Announcements: a prompt, then where the call goes next.
import { useState } from 'react';
import type { Destination } from '../../api/routing.ts';
import { DestinationPicker } from '../../components/destination-picker.tsx';
import { FormShell, Group, PromptInput, TextInput } from '../../components/routing-fields.tsx';
import { promptFrom, promptText, promptWords } from '../../lib/routing-prompt.ts';
import { describeDestination } from '../../lib/routing-words.ts';
import { useRouting } from '../../state/routing-directory.ts';
import { ObjectPage, type FormProps } from './object-page.tsx';

function AnnouncementForm({ initial, busy, submitLabel, onSubmit, onCancel }: FormProps<'announcements'>) {
  const [name, setName] = useState(initial?.name ?? '');
  const [prompt, setPrompt] = useState(promptText(initial?.prompt));
  const [next, setNext] = useState<Destination | null>(initial?.next ?? { type: 'hangup' });
  return (
    <FormShell
      label={initial ? `Announcement ${initial.name}` : 'New announcement'}
      busy={busy}
      submitLabel={submitLabel}
      onCancel={onCancel}
      onSubmit={() => onSubmit({ name: name.trim(), prompt: promptFrom(prompt, initial?.prompt) ?? { kind: 'text', text: '' }, next: next ?? { type: 'hangup' } })}
    >
      <TextInput label="Name" name="name" required maxLength={200} value={name} onChange={setName} />
      <PromptInput label={initial?.prompt.kind === 'audio' ? 'Text (audio file kept unless text is typed)' : 'Text'} name="prompt" value={prompt} onChange={setPrompt} />
      <Group legend="Then">
        <DestinationPicker label="Next" value={next} onChange={setNext} />
      </Group>
    </FormShell>
  );
}

export function AnnouncementsPage({ canWrite }: { canWrite: boolean }) {
  const { lists } = useRouting();
  return (
    <ObjectPage
      kind="announcements"
      title="Announcements"
      singular="announcement"
      canWrite={canWrite}
      Form={AnnouncementForm}
      facts={(announcement) => (
        <>
          <span className="muted small">{promptWords(announcement.prompt)}</span>
          <span className="muted small">then → {describeDestination(announcement.next, lists)}</span>
        </>
      )}
    />
  );
}
