import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { requireBundles, testApp } from './helpers';
import { ChatBackend, KnowledgeBaseFactory, KnowledgeBaseFactoryProps } from '../../src';

beforeAll(requireBundles);

function synth(props: Omit<KnowledgeBaseFactoryProps, 'backend'> = {}) {
  const stack = new Stack(testApp(), 'Test');
  const backend = new ChatBackend(stack, 'Chat');
  const knowledge = new KnowledgeBaseFactory(stack, 'Knowledge', { backend, ...props });
  return { stack, backend, knowledge, template: Template.fromStack(stack) };
}

test('dump', () => {
  const { template } = synth();
  require('fs').writeFileSync('/tmp/pv/template.json', JSON.stringify(template.toJSON(), null, 1));
});
