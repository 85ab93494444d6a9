"""OVF 1.x descriptors for Kestrel's OVAs: hardware declared the way VMware's
and VirtualBox's own exports declare it (DSP0243 1.x; rasd elements in the
schema's alphabetical order)."""

from xml.sax.saxutils import escape, quoteattr

NS = {
    "": "http://schemas.dmtf.org/ovf/envelope/1",
    "ovf": "http://schemas.dmtf.org/ovf/envelope/1",
    "rasd": "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData",
    "vssd": "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData",
    "vmw": "http://www.vmware.com/schema/ovf",
    "vbox": "http://www.virtualbox.org/ovf/machine",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
}
STREAM_OPTIMIZED = "http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"
OS_LINUX_64 = "101"  # CIM_OperatingSystem "Linux 64-Bit"
MEMORY_MIB = 256

# Resource types (CIM_ResourceAllocationSettingData).
RT_CPU, RT_MEMORY, RT_SCSI, RT_NIC, RT_OTHER_STORAGE, RT_DISK = 3, 4, 6, 10, 20, 17

FLAVOURS = {
    "vmware": {
        "system_type": "vmx-13",
        "os": '<OperatingSystemSection ovf:id="%s" vmw:osType="otherLinux64Guest">\n'
              '        <Info>The kind of installed guest operating system</Info>\n'
              '      </OperatingSystemSection>' % OS_LINUX_64,
        "controller": {"ResourceType": RT_SCSI, "ResourceSubType": "VirtualSCSI", "ElementName": "SCSI Controller 0",
                       "Address": "0"},
        "nic": {"ResourceSubType": "VmxNet3", "Connection": "VM Network", "ElementName": "Network adapter 1"},
        "network": "VM Network",
    },
    "virtualbox": {
        "system_type": "virtualbox-2.2",
        "os": '<OperatingSystemSection ovf:id="%s">\n'
              '        <Info>The kind of installed guest operating system</Info>\n'
              '        <Description>Linux_64</Description>\n'
              '        <vbox:OSType ovf:required="false">Linux_64</vbox:OSType>\n'
              '      </OperatingSystemSection>' % OS_LINUX_64,
        "controller": {"ResourceType": RT_OTHER_STORAGE, "ResourceSubType": "AHCI", "ElementName": "sataController0",
                       "Address": "0"},
        "nic": {"ResourceSubType": "E1000", "Connection": "NAT", "ElementName": "Ethernet adapter on 'NAT'"},
        "network": "NAT",
    },
}


def item(fields):
    lines = ["        <Item>"]
    for key in sorted(fields):
        lines.append("          <rasd:%s>%s</rasd:%s>" % (key, escape(str(fields[key])), key))
    lines.append("        </Item>")
    return "\n".join(lines)


def ovf_descriptor(flavour, name, vmdk_name, vmdk_bytes, disk_bytes, firmware):
    f = FLAVOURS[flavour]
    ctrl = dict(f["controller"], InstanceID=3)
    items = [
        item({"AllocationUnits": "hertz * 10^6", "Description": "Number of Virtual CPUs",
              "ElementName": "1 virtual CPU(s)", "InstanceID": 1, "ResourceType": RT_CPU, "VirtualQuantity": 1}),
        item({"AllocationUnits": "byte * 2^20", "Description": "Memory Size",
              "ElementName": "%d MB of memory" % MEMORY_MIB, "InstanceID": 2, "ResourceType": RT_MEMORY,
              "VirtualQuantity": MEMORY_MIB}),
        item(ctrl),
        item({"AddressOnParent": 0, "ElementName": "Hard Disk 1", "HostResource": "ovf:/disk/vmdisk1",
              "InstanceID": 4, "Parent": 3, "ResourceType": RT_DISK}),
        item(dict(f["nic"], AddressOnParent=1, AutomaticAllocation="true", InstanceID=5, ResourceType=RT_NIC)),
    ]
    extra = ""
    if flavour == "vmware":
        fw = "bios" if firmware == "bios" else "efi"
        extra = '\n        <vmw:Config ovf:required="false" vmw:key="firmware" vmw:value="%s"/>' % fw
    ns = " ".join('xmlns%s=%s' % (":" + k if k else "", quoteattr(v)) for k, v in NS.items())
    return """<?xml version="1.0" encoding="UTF-8"?>
<Envelope ovf:version="1.0" %(ns)s>
  <References>
    <File ovf:href=%(href)s ovf:id="file1" ovf:size="%(vmdk_bytes)d"/>
  </References>
  <DiskSection>
    <Info>Virtual disk information</Info>
    <Disk ovf:capacity="%(capacity)d" ovf:capacityAllocationUnits="byte" ovf:diskId="vmdisk1" ovf:fileRef="file1" ovf:format="%(fmt)s"/>
  </DiskSection>
  <NetworkSection>
    <Info>The list of logical networks</Info>
    <Network ovf:name=%(network)s>
      <Description>The %(network_text)s network</Description>
    </Network>
  </NetworkSection>
  <VirtualSystem ovf:id=%(name)s>
    <Info>A Kestrel unikernel</Info>
    <Name>%(name_text)s</Name>
    %(os)s
    <VirtualHardwareSection>
      <Info>Virtual hardware requirements</Info>
      <System>
        <vssd:ElementName>Virtual Hardware Family</vssd:ElementName>
        <vssd:InstanceID>0</vssd:InstanceID>
        <vssd:VirtualSystemIdentifier>%(name_text)s</vssd:VirtualSystemIdentifier>
        <vssd:VirtualSystemType>%(system_type)s</vssd:VirtualSystemType>
      </System>
%(items)s%(extra)s
    </VirtualHardwareSection>
  </VirtualSystem>
</Envelope>
""" % {"ns": ns, "href": quoteattr(vmdk_name), "vmdk_bytes": vmdk_bytes, "capacity": disk_bytes,
       "fmt": STREAM_OPTIMIZED, "network": quoteattr(f["network"]), "network_text": escape(f["network"]),
       "name": quoteattr(name), "name_text": escape(name), "os": f["os"], "system_type": f["system_type"],
       "items": "\n".join(items), "extra": extra}
