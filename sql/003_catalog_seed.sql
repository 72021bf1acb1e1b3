-- The purchasable-service catalogue as the seeds define it. Admins add and
-- approve further items through POST /v1/catalog.
--
-- 000 §3.3 (湘民发〔2018〕10号 三(三) 服务内容): the four kinds of social-work
-- service a township social-work station buys. Issued at provincial level, so
-- shipped approved and purchasable.
-- 004 §4.2 (四川试点 四(二) 建立民政购买服务项目指导目录): the fields a pilot county
-- considers for its guidance catalogue, per township (乡镇/街道) or village
-- (村/社区) level; shipped for the county to choose from, NOT yet approved: a
-- county may not widen the scope without provincial civil-affairs and finance
-- approval (000 §3.3 last paragraph, 003 §1.2).
-- Restricted: administrative functions and confidential matters may never be
-- bought (001 §2.2, 000 §2.1 and §4.1); they stay listed so a submission that
-- names them is refused with a reason.
INSERT INTO catalog_item (code, name, category, level, approved, purchasable, restricted, created_at) VALUES
	('HN-33-1', '社会救助领域社会工作服务（对象排查、入户调查、政策宣传、绩效评价、照料护理、康复训练、社会融入、能力提升、资源链接）',
		'社会救助', 'township', true, true, false, now()),
	('HN-33-2', '农村留守儿童关爱保护领域社会工作服务（家庭随访、对象核查、监护法制宣传、安全和心理健康教育、隔代教育能力建设）',
		'未成年人保护', 'township', true, true, false, now()),
	('HN-33-3', '城乡社区建设领域社会工作服务（培育志愿服务组织和社区社会组织、发展志愿者队伍、三社联动）',
		'社区建设', 'township', true, true, false, now()),
	('HN-33-4', '其他民政领域社会工作服务（养老服务、优抚对象关爱、防灾减灾：情绪疏导、精神抚慰、资源链接、社会支持网络建设）',
		'其他民政服务', 'township', true, true, false, now()),
	('SC-42-01', '防灾减灾', '防灾减灾', 'township', false, true, false, now()),
	('SC-42-02', '社会救助', '社会救助', 'township', false, true, false, now()),
	('SC-42-03', '社会福利', '社会福利', 'township', false, true, false, now()),
	('SC-42-04', '慈善事业', '慈善事业', 'township', false, true, false, now()),
	('SC-42-05', '特殊人群和困难群体权益维护', '权益维护', 'township', false, true, false, now()),
	('SC-42-06', '基本养老服务', '养老服务', 'village', false, true, false, now()),
	('SC-42-07', '未成年人保护', '未成年人保护', 'village', false, true, false, now()),
	('SC-42-08', '扶贫济困', '扶贫济困', 'village', false, true, false, now()),
	('SC-42-09', '社会组织孵化培育', '社会组织', 'township', false, true, false, now()),
	('SC-42-10', '民政台账基础数据统计', '基础数据', 'village', false, true, false, now()),
	('SC-42-11', '民政舆情监测', '舆情监测', 'township', false, true, false, now()),
	('X-ADM-APPROVAL', '法定行政审批（社会救助对象审核审批）', '行政职能（不得购买）', 'county', false, false, true, now()),
	('X-ADM-PAYMENT', '行政给付（救助金发放决定）', '行政职能（不得购买）', 'county', false, false, true, now()),
	('X-ADM-INSPECTION', '行政检查', '行政职能（不得购买）', 'county', false, false, true, now()),
	('X-ADM-PENALTY', '行政处罚', '行政职能（不得购买）', 'county', false, false, true, now()),
	('X-CONFIDENTIAL', '保密事项', '保密事项（不得购买）', 'township', false, false, true, now());
