// IVR menus: prompt, an option per key with its destination, direct dial, timeouts, retries, the invalid and
// timeout prompts, the failover; each menu drawn as a graph under its row.
import { useState } from 'react';
import { DTMF_KEYS, type Destination, type DtmfKey, type IvrMenu } from '../../api/routing.ts';
import { DestinationPicker } from '../../components/destination-picker.tsx';
import { Checkbox, FormShell, Group, NumberInput, PromptInput, TextInput } from '../../components/routing-fields.tsx';
import { promptFrom, promptText, promptWords } from '../../lib/routing-prompt.ts';
import { useRouting } from '../../state/routing-directory.ts';
import { describeDestination } from '../../lib/routing-words.ts';
import { IvrGraph } from './ivr-graph.tsx';
import { ObjectPage, type FormProps } from './object-page.tsx';

function OptionsEditor({ options, onChange }: { options: IvrMenu['options']; onChange: (options: IvrMenu['options']) => void }) {
  const set = (key: DtmfKey, value: Destination | null) => {
    const next = { ...options };
    if (value === null) delete next[key];
    else next[key] = value;
    onChange(next);
  };
  return (
    <Group legend="Keys">
      {DTMF_KEYS.map((key) => (
        <div className="picker-line" key={key}>
          <span className="dtmf-key" aria-hidden="true">{key}</span>
          <DestinationPicker label={`Key ${key}`} noneLabel="Not used" value={options[key] ?? null} onChange={(value) => set(key, value)} />
        </div>
      ))}
    </Group>
  );
}

function IvrMenuForm({ initial, busy, submitLabel, onSubmit, onCancel }: FormProps<'ivr-menus'>) {
  const [name, setName] = useState(initial?.name ?? '');
  const [prompt, setPrompt] = useState(promptText(initial?.prompt));
  const [options, setOptions] = useState<IvrMenu['options']>(initial?.options ?? {});
  const [directDial, setDirectDial] = useState(initial?.directDial ?? false);
  const [timeoutS, setTimeoutS] = useState(initial?.timeoutS ?? 5);
  const [interDigitTimeoutMs, setInterDigit] = useState(initial?.interDigitTimeoutMs ?? 2000);
  const [invalidPrompt, setInvalidPrompt] = useState(promptText(initial?.invalidPrompt));
  const [timeoutPrompt, setTimeoutPrompt] = useState(promptText(initial?.timeoutPrompt));
  const [retries, setRetries] = useState(initial?.retries ?? 2);
  const [failover, setFailover] = useState<Destination | null>(initial?.failover ?? { type: 'hangup' });
  return (
    <FormShell
      label={initial ? `IVR menu ${initial.name}` : 'New IVR menu'}
      busy={busy}
      submitLabel={submitLabel}
      onCancel={onCancel}
      onSubmit={() =>
        onSubmit({
          name: name.trim(),
          // An empty required prompt is sent as such: the engine's 422 says what is missing.
          prompt: promptFrom(prompt, initial?.prompt) ?? { kind: 'text', text: '' },
          options,
          directDial,
          timeoutS,
          interDigitTimeoutMs,
          invalidPrompt: promptFrom(invalidPrompt, initial?.invalidPrompt),
          timeoutPrompt: promptFrom(timeoutPrompt, initial?.timeoutPrompt),
          retries,
          failover: failover ?? { type: 'hangup' },
        })
      }
    >
      <TextInput label="Name" name="name" required maxLength={200} value={name} onChange={setName} />
      <PromptInput label={initial?.prompt.kind === 'audio' ? 'Prompt (audio file kept unless text is typed)' : 'Prompt'} name="prompt" value={prompt} onChange={setPrompt} />
      <OptionsEditor options={options} onChange={setOptions} />
      <Checkbox label="Callers may dial an extension directly" name="directDial" checked={directDial} onChange={setDirectDial} />
      <NumberInput label="First key timeout (s)" name="timeoutS" min={1} max={60} value={timeoutS} onChange={setTimeoutS} />
      <NumberInput label="Between digits (ms)" name="interDigitTimeoutMs" min={500} max={10000} value={interDigitTimeoutMs} onChange={setInterDigit} />
      <NumberInput label="Retries" name="retries" min={0} max={5} value={retries} onChange={setRetries} />
      <PromptInput label="Invalid key prompt (optional)" name="invalidPrompt" value={invalidPrompt} onChange={setInvalidPrompt} />
      <PromptInput label="Timeout prompt (optional)" name="timeoutPrompt" value={timeoutPrompt} onChange={setTimeoutPrompt} />
      <Group legend="After the retries">
        <DestinationPicker label="Failover" value={failover} onChange={setFailover} />
      </Group>
    </FormShell>
  );
}

export function IvrMenusPage({ canWrite }: { canWrite: boolean }) {
  const { lists } = useRouting();
  return (
    <ObjectPage
      kind="ivr-menus"
      title="IVR menus"
      singular="IVR menu"
      canWrite={canWrite}
      Form={IvrMenuForm}
      facts={(menu) => (
        <>
          <span className="muted small">prompt {promptWords(menu.prompt)}</span>
          <span className="muted small">{Object.keys(menu.options).length} keys</span>
          {menu.directDial && <span className="tag">direct dial</span>}
          <span className="muted small">failover → {describeDestination(menu.failover, lists)}</span>
        </>
      )}
      extra={(menu) => <IvrGraph menu={menu} />}
    />
  );
}
