package bsssim

// The static dictionary the tenant is generated from. The look-up endpoints
// serve exactly these entries, so every code found in a bill resolves.

type serviceType struct {
	code, nameEN, nameZH, abbr string
}

type resourceType struct {
	code, nameEN, nameZH, descEN, descZH string
	service                              string // service type code
	usageType, usageNameEN, usageNameZH  string
	usageMeasure                         int   // measure ID of usage quantities
	global                               bool  // no region (e.g. CDN)
	prepaid                              bool  // may be yearly/monthly
	ppuPrice                             int64 // list price per usage unit, 1e-4 currency units
	monthPrice                           int64 // list price per month, cents
	skus                                 []string
	productID                            string
	specSize                             bool // linear product (spec_size in GB)
	noEP                                 bool // service without enterprise projects (null project)
}

type region struct {
	code, nameEN, nameZH string
}

type measureUnit struct {
	id                   int
	nameEN, nameZH, abbr string
	typ                  int
}

var catalogServices = []serviceType{
	{"hws.service.type.ec2", "Elastic Cloud Server", "弹性云服务器", "ECS"},
	{"hws.service.type.ebs", "Elastic Volume Service", "云硬盘", "EVS"},
	{"hws.service.type.obs", "Object Storage Service", "对象存储服务", "OBS"},
	{"hws.service.type.cdn", "Content Delivery Network", "内容分发网络", "CDN"},
	{"hws.service.type.vpc", "Virtual Private Cloud", "虚拟私有云", "VPC"},
	{"hws.service.type.rds", "Relational Database Service", "云数据库", "RDS"},
	{"hws.service.type.elb", "Elastic Load Balance", "弹性负载均衡", "ELB"},
	{"hws.service.type.dcs", "Distributed Cache Service", "分布式缓存服务", "DCS"},
}

var catalogResourceTypes = []resourceType{
	{code: "hws.resource.type.vm", nameEN: "ECS", nameZH: "云主机", descEN: "Elastic Cloud Server instance", descZH: "弹性云服务器实例",
		service: "hws.service.type.ec2", usageType: "duration", usageNameEN: "Duration", usageNameZH: "时长", usageMeasure: 4,
		prepaid: true, ppuPrice: 4300, monthPrice: 21000, skus: []string{"c7.large.2.linux", "c7.xlarge.2.linux", "s6.medium.2.linux", "m7.2xlarge.8.win"}, productID: "00301-224145-0--0"},
	{code: "hws.resource.type.volume", nameEN: "EVS Disk", nameZH: "云硬盘", descEN: "Block storage volume", descZH: "块存储卷",
		service: "hws.service.type.ebs", usageType: "duration", usageNameEN: "Duration", usageNameZH: "时长", usageMeasure: 4,
		prepaid: true, ppuPrice: 700, monthPrice: 3500, skus: []string{"GPSSD", "SAS", "SSD"}, productID: "00301-118562-0--0", specSize: true},
	{code: "hws.resource.type.obs", nameEN: "OBS storage", nameZH: "对象存储", descEN: "Object storage", descZH: "对象存储",
		service: "hws.service.type.obs", usageType: "storage", usageNameEN: "Storage capacity", usageNameZH: "存储容量", usageMeasure: 10,
		ppuPrice: 990, skus: []string{"obs.standard", "obs.warm"}, productID: "00301-301122-0--0", global: false},
	{code: "hws.resource.type.cdn", nameEN: "CDN", nameZH: "CDN", descEN: "Content delivery domain", descZH: "加速域名",
		service: "hws.service.type.cdn", usageType: "downflow", usageNameEN: "Downstream traffic", usageNameZH: "下行流量", usageMeasure: 10,
		ppuPrice: 2000, skus: []string{"cdn.traffic.cn", "cdn.traffic.overseas"}, productID: "00301-000901-0--0", global: true, noEP: true},
	{code: "hws.resource.type.bandwidth", nameEN: "Bandwidth", nameZH: "带宽", descEN: "Shared or dedicated bandwidth", descZH: "带宽",
		service: "hws.service.type.vpc", usageType: "upflow", usageNameEN: "Upstream traffic", usageNameZH: "上行流量", usageMeasure: 10,
		prepaid: true, ppuPrice: 8000, monthPrice: 2300, skus: []string{"19_bgp", "19_sbgp"}, productID: "00301-402233-0--0"},
	{code: "hws.resource.type.ip", nameEN: "Elastic IP", nameZH: "弹性公网IP", descEN: "Elastic public IP address", descZH: "弹性公网IP",
		service: "hws.service.type.vpc", usageType: "duration", usageNameEN: "Duration", usageNameZH: "时长", usageMeasure: 4,
		ppuPrice: 200, skus: []string{"5_bgp"}, productID: "00301-402240-0--0"},
	{code: "hws.resource.type.rds.vm", nameEN: "RDS instance", nameZH: "数据库实例", descEN: "Relational database instance", descZH: "数据库实例",
		service: "hws.service.type.rds", usageType: "duration", usageNameEN: "Duration", usageNameZH: "时长", usageMeasure: 4,
		prepaid: true, ppuPrice: 9800, monthPrice: 52000, skus: []string{"rds.mysql.n1.large.2", "rds.pg.x1.xlarge.4.ha"}, productID: "00301-510020-0--0"},
	{code: "hws.resource.type.elb", nameEN: "Load balancer", nameZH: "负载均衡器", descEN: "Dedicated load balancer", descZH: "独享型负载均衡器",
		service: "hws.service.type.elb", usageType: "duration", usageNameEN: "Duration", usageNameZH: "时长", usageMeasure: 4,
		ppuPrice: 1200, skus: []string{"elbv3.basic.1az"}, productID: "00301-620011-0--0"},
	{code: "hws.resource.type.dcs", nameEN: "DCS instance", nameZH: "缓存实例", descEN: "Redis cache instance", descZH: "Redis缓存实例",
		service: "hws.service.type.dcs", usageType: "duration", usageNameEN: "Duration", usageNameZH: "时长", usageMeasure: 4,
		prepaid: true, ppuPrice: 1600, monthPrice: 8800, skus: []string{"redis.ha.xu1.large.r2.2"}, productID: "00301-730040-0--0"},
}

var catalogRegionsCN = []region{
	{"cn-north-4", "CN North-Beijing4", "华北-北京四"},
	{"cn-east-3", "CN East-Shanghai1", "华东-上海一"},
	{"cn-south-1", "CN South-Guangzhou", "华南-广州"},
	{"ap-southeast-1", "AP-Hong Kong", "中国-香港"},
}

var catalogRegionsIntl = []region{
	{"ap-southeast-1", "AP-Hong Kong", "中国-香港"},
	{"ap-southeast-3", "AP-Singapore", "亚太-新加坡"},
	{"eu-west-101", "EU-Dublin", "欧洲-都柏林"},
	{"la-south-2", "LA-Santiago", "拉美-圣地亚哥"},
}

var catalogMeasureUnits = []measureUnit{
	{1, "Yuan", "元", "Yuan", 1},
	{2, "Jiao", "角", "Jiao", 1},
	{3, "Fen", "分", "Fen", 1},
	{4, "Hour", "小时", "h", 2},
	{5, "Day", "天", "d", 2},
	{10, "GB", "GB", "G", 3},
	{11, "MB", "MB", "M", 3},
	{17, "GB", "GB", "GB", 7},
	{18, "TB", "TB", "TB", 7},
	{36, "Minute", "分钟", "min", 2},
}

type conversion struct {
	measureID, refMeasureID int
	ratio                   int64
	typ                     int
}

var catalogConversions = []conversion{
	{10, 11, 1024, 3},
	{1, 3, 100, 1},
	{1, 2, 10, 1},
	{4, 36, 60, 2},
	{5, 4, 24, 2},
	{18, 17, 1024, 7},
}

func serviceByCode(code string) *serviceType {
	for i := range catalogServices {
		if catalogServices[i].code == code {
			return &catalogServices[i]
		}
	}
	return nil
}

// moneyMeasureName is the name of measure ID 1 on the site.
func (s *Simulator) moneyName(lang string) string {
	if s.cfg.Site == SiteIntl {
		return "USD"
	}
	if lang == langZH {
		return "元"
	}
	return "Yuan"
}
